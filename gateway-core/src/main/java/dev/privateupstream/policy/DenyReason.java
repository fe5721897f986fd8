package dev.privateupstream.policy;

/**
 * Why a call or a connection was refused: the wire text of {@code X-Gateway-Deny-Reason} and of the
 * {@code reason} label of {@code gateway_denied_total}, with the HTTP status of the refusal (SPEC §5, §8).
 *
 * <p>{@code not-signalr-upstream} answers with three statuses, so it has three constants sharing one wire
 * text. The connection-level reasons have no HTTP status: the connection is closed without an answer.
 */
public enum DenyReason {
    PUBLIC_NETWORK("public-network", 403),
    UNKNOWN_PRIVATE_ENDPOINT("unknown-private-endpoint", 403),
    LINK_ID_MISMATCH("link-id-mismatch", 403),
    NO_ROUTE("no-route", 404),
    ENDPOINT_PENDING("endpoint-pending", 403),
    ENDPOINT_REJECTED("endpoint-rejected", 403),
    ENDPOINT_DISCONNECTED("endpoint-disconnected", 403),
    ENDPOINT_TIMEOUT("endpoint-timeout", 403),
    WRONG_UPSTREAM("wrong-upstream", 403),
    MISSING_SIGNATURE("missing-signature", 401),
    INVALID_SIGNATURE("invalid-signature", 401),
    NOT_SIGNALR_UPSTREAM("not-signalr-upstream", 400),
    NOT_SIGNALR_UPSTREAM_METHOD("not-signalr-upstream", 405),
    NOT_SIGNALR_UPSTREAM_MEDIA_TYPE("not-signalr-upstream", 415),
    UNTRUSTED_PROXY("untrusted-proxy", 0),
    BAD_PROXY_HEADER("bad-proxy-header", 0),
    REJECTED_AT_CONNECT("rejected-at-connect", 0);

    private final String wireText;
    private final int httpStatus;

    DenyReason(String wireText, int httpStatus) {
        this.wireText = wireText;
        this.httpStatus = httpStatus;
    }

    /** The reason as it appears in headers, JSON bodies, logs and metric labels. */
    public String wireText() {
        return wireText;
    }

    /** The status of the refusal; {@code 0} for reasons that close the connection instead. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Whether this reason closes the connection rather than answering a request. */
    public boolean closesConnection() {
        return httpStatus == 0;
    }

    @Override
    public String toString() {
        return wireText;
    }
}
