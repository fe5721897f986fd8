package dev.privateupstream.signalr;

/**
 * What makes a request not a well-formed SignalR upstream call, with the status the gateway answers
 * (SPEC §6a, reason {@code not-signalr-upstream}). Constants are declared in the order they are checked.
 */
public enum SignalRRequestProblem {
    /** A well-formed call. */
    NONE(200, "well-formed SignalR upstream call"),
    NOT_POST(405, "method is not POST"),
    MISSING_CONNECTION_ID(400, SignalRHeaders.CONNECTION_ID + " header missing"),
    MISSING_HUB(400, SignalRHeaders.HUB + " header missing"),
    MISSING_CATEGORY(400, SignalRHeaders.CATEGORY + " header missing"),
    MISSING_EVENT(400, SignalRHeaders.EVENT + " header missing"),
    UNKNOWN_CATEGORY(400, SignalRHeaders.CATEGORY + " is neither connections nor messages"),
    UNKNOWN_CONNECTION_EVENT(400, SignalRHeaders.EVENT + " of a connections call is neither connected nor disconnected"),
    UNSUPPORTED_MEDIA_TYPE(415, "Content-Type is neither application/json nor application/x-msgpack");

    private final int httpStatus;
    private final String detail;

    SignalRRequestProblem(int httpStatus, String detail) {
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

    /** Whether the request is refused. */
    public boolean isProblem() {
        return this != NONE;
    }
}
