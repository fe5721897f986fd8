package dev.privateupstream.policy;

import dev.privateupstream.signalr.SignatureCheck;

/**
 * Why a call or a connection was refused: the wire text of {@code X-Gateway-Deny-Reason} and of the
 * {@code reason} label of {@code gateway_denied_total}, with the HTTP status of the refusal (SPEC §5, §8).
 *
 * <p>{@code not-signalr-upstream} and {@code not-webpubsub-event} answer with three statuses each, so each has
 * three constants sharing one wire text. The connection-level reasons have no HTTP status: the connection is closed without an answer.
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
    MISSING_TOKEN("missing-token", 401),
    INVALID_TOKEN("invalid-token", 401),
    CALLER_NOT_ALLOWED("caller-not-allowed", 403),
    IDENTITY_UNAVAILABLE("identity-unavailable", 503),
    ORIGIN_NOT_ALLOWED("origin-not-allowed", 403),
    NOT_WEBPUBSUB_EVENT("not-webpubsub-event", 400),
    NOT_WEBPUBSUB_EVENT_METHOD("not-webpubsub-event", 405),
    NOT_WEBPUBSUB_EVENT_MEDIA_TYPE("not-webpubsub-event", 415),
    UNTRUSTED_PROXY("untrusted-proxy", 0),
    BAD_PROXY_HEADER("bad-proxy-header", 0),
    REJECTED_AT_CONNECT("rejected-at-connect", 0);

    private final String wireText;
    private final int httpStatus;

    DenyReason(String wireText, int httpStatus) {
        this.wireText = wireText;
        this.httpStatus = httpStatus;
    }

    /** The refusal of a signature check ({@code X-ASRS-Signature}, {@code ce-signature}); {@code null} when valid. */
    public static DenyReason ofSignature(SignatureCheck check) {
        switch (check) {
            case MISSING:
                return MISSING_SIGNATURE;
            case INVALID:
                return INVALID_SIGNATURE;
            default:
                return null;
        }
    }

    /** The {@code not-signalr-upstream} refusal answered with {@code status}; {@code null} for 200. */
    public static DenyReason notSignalRUpstream(int status) {
        return byStatus(status, NOT_SIGNALR_UPSTREAM, NOT_SIGNALR_UPSTREAM_METHOD, NOT_SIGNALR_UPSTREAM_MEDIA_TYPE);
    }

    /** The {@code not-webpubsub-event} refusal answered with {@code status}; {@code null} for 200. */
    public static DenyReason notWebPubSubEvent(int status) {
        return byStatus(status, NOT_WEBPUBSUB_EVENT, NOT_WEBPUBSUB_EVENT_METHOD, NOT_WEBPUBSUB_EVENT_MEDIA_TYPE);
    }

    private static DenyReason byStatus(int status, DenyReason badRequest, DenyReason method, DenyReason mediaType) {
        switch (status) {
            case 200:
                return null;
            case 405:
                return method;
            case 415:
                return mediaType;
            default:
                return badRequest;
        }
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
