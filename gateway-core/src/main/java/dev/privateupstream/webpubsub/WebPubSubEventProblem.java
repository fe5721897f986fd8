package dev.privateupstream.webpubsub;

/**
 * What makes a request not a well-formed Web PubSub event-handler call, with the status the gateway answers
 * (SPEC §13, reason {@code not-webpubsub-event}). Constants are declared in the order they are checked.
 */
public enum WebPubSubEventProblem {
    /** A well-formed call. */
    NONE(200, "well-formed Web PubSub event"),
    NOT_POST(405, "method is not POST"),
    WRONG_SPEC_VERSION(400, WebPubSubHeaders.SPEC_VERSION + " is not 1.0"),
    NOT_WEBPUBSUB_TYPE(400, WebPubSubHeaders.TYPE + " does not start with azure.webpubsub."),
    MISSING_ID(400, WebPubSubHeaders.ID + " header missing"),
    MISSING_HUB(400, WebPubSubHeaders.HUB + " header missing"),
    MISSING_CONNECTION_ID(400, WebPubSubHeaders.CONNECTION_ID + " header missing"),
    MISSING_EVENT_NAME(400, WebPubSubHeaders.EVENT_NAME + " header missing"),
    SYSTEM_EVENT_NOT_JSON(415, "a system event's Content-Type is not application/json"),
    USER_EVENT_MEDIA_TYPE(415,
            "a user event's Content-Type is not text/plain, application/json or application/octet-stream");

    private final int httpStatus;
    private final String detail;

    WebPubSubEventProblem(int httpStatus, String detail) {
        this.httpStatus = httpStatus;
        this.detail = detail;
    }

    /** The status to answer with; {@code 200} for {@link #NONE}, which is not refused. */
    public int httpStatus() {
        return httpStatus;
    }

    /** A short human explanation, fit for a log line or an error body. */
    public String detail() {
        return detail;
    }

    public boolean isProblem() {
        return this != NONE;
    }
}
