package dev.privateupstream.caller;

/**
 * Fired by the PROXY protocol handlers of a connection from a trusted proxy once they know who the
 * connection speaks for, before any byte after the header goes on, so {@link RejectAtConnectHandler} can
 * judge the real caller before a request is read.
 */
enum CallerResolvedEvent {
    /** The header named a client: {@link ConnectionFacts#caller()} is its source address. */
    PROXIED_CLIENT,
    /**
     * The proxy speaks for itself: a {@code LOCAL} header (a load balancer's health check), an
     * {@code UNKNOWN}/{@code UNSPEC} or {@code AF_UNIX} one, or none at all under {@code optional}. The caller
     * stays the TCP peer, as the PROXY protocol says.
     */
    PROXY_ITSELF
}
