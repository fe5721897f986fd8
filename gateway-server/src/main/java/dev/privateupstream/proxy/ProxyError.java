package dev.privateupstream.proxy;

/**
 * Answers the proxy port makes itself that are not access refusals (SPEC §6).
 */
public enum ProxyError {
    BAD_REQUEST(400, "bad-request"),
    URI_TOO_LONG(414, "uri-too-long"),
    HEADERS_TOO_LARGE(431, "headers-too-large"),
    BODY_TOO_LARGE(413, "body-too-large"),
    HEADER_TIMEOUT(408, "header-timeout"),
    UPSTREAM_UNREACHABLE(502, "upstream-unreachable"),
    UPSTREAM_TIMEOUT(504, "upstream-timeout"),
    DRAINING(503, "draining"),
    /** No endpoint set loaded yet: the shared store has not answered since start (SPEC §10). */
    STORE_UNAVAILABLE(503, "store-unavailable"),
    /**
     * Not an error: Web PubSub's abuse-protection handshake, answered by the gateway (SPEC §13). Listed here
     * because it is an answer the gateway makes itself; its response is built apart, not as an error body.
     */
    ABUSE_PROTECTION(200, "abuse-protection");

    private final int httpStatus;
    private final String wireText;

    ProxyError(int httpStatus, String wireText) {
        this.httpStatus = httpStatus;
        this.wireText = wireText;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String wireText() {
        return wireText;
    }
}
