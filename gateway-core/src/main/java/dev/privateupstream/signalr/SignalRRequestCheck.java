package dev.privateupstream.signalr;

/**
 * Tells whether a request is a well-formed SignalR upstream call, for {@code signalr.validateRequests}
 * (SPEC §6a). Runs after the access decision, so a caller that is not an approved endpoint learns nothing
 * from it.
 *
 * <p>Allocates nothing: every input is compared in place.
 */
public final class SignalRRequestCheck {

    private SignalRRequestCheck() {
    }

    /**
     * Checks, in this order: the method is {@code POST} ({@code 405}); {@code X-ASRS-Connection-Id},
     * {@code X-ASRS-Hub}, {@code X-ASRS-Category} and {@code X-ASRS-Event} are present and not empty
     * ({@code 400}); the category is {@code connections} or {@code messages}, and a {@code connections}
     * event is {@code connected} or {@code disconnected} ({@code 400}); the media type is
     * {@code application/json} or {@code application/x-msgpack}, parameters ignored ({@code 415}).
     *
     * <p>The method compares case-sensitively, as HTTP methods do. Category, event and media type compare
     * case-insensitively: the Functions extension routes category and event through case-insensitive
     * lookups, and media types are case-insensitive. A missing {@code Content-Type} is {@code 415}: the
     * service always sends one, even for a connection event.
     *
     * @param method the request method
     * @param connectionId {@code X-ASRS-Connection-Id}, or {@code null} when absent
     * @param hub {@code X-ASRS-Hub}, or {@code null} when absent
     * @param category {@code X-ASRS-Category}, or {@code null} when absent
     * @param event {@code X-ASRS-Event}, or {@code null} when absent
     * @param contentType {@code Content-Type}, or {@code null} when absent
     * @return the first problem found, or {@link SignalRRequestProblem#NONE}
     */
    public static SignalRRequestProblem check(CharSequence method, CharSequence connectionId, CharSequence hub,
                                              CharSequence category, CharSequence event, CharSequence contentType) {
        if (method == null || !contentEquals(method, "POST")) {
            return SignalRRequestProblem.NOT_POST;
        }
        if (isEmpty(connectionId)) {
            return SignalRRequestProblem.MISSING_CONNECTION_ID;
        }
        if (isEmpty(hub)) {
            return SignalRRequestProblem.MISSING_HUB;
        }
        if (isEmpty(category)) {
            return SignalRRequestProblem.MISSING_CATEGORY;
        }
        if (isEmpty(event)) {
            return SignalRRequestProblem.MISSING_EVENT;
        }
        if (equalsIgnoreCase(category, 0, category.length(), SignalRHeaders.CATEGORY_CONNECTIONS)) {
            if (!equalsIgnoreCase(event, 0, event.length(), SignalRHeaders.EVENT_CONNECTED)
                && !equalsIgnoreCase(event, 0, event.length(), SignalRHeaders.EVENT_DISCONNECTED)) {
                return SignalRRequestProblem.UNKNOWN_CONNECTION_EVENT;
            }
        } else if (!equalsIgnoreCase(category, 0, category.length(), SignalRHeaders.CATEGORY_MESSAGES)) {
            return SignalRRequestProblem.UNKNOWN_CATEGORY;
        }
        if (!isSupportedMediaType(contentType)) {
            return SignalRRequestProblem.UNSUPPORTED_MEDIA_TYPE;
        }
        return SignalRRequestProblem.NONE;
    }

    /**
     * Whether a {@code Content-Type} value names {@code application/json} or {@code application/x-msgpack},
     * ignoring letter case, surrounding whitespace and parameters ({@code application/json; charset=utf-8}).
     */
    public static boolean isSupportedMediaType(CharSequence contentType) {
        if (contentType == null) {
            return false;
        }
        int end = 0;
        while (end < contentType.length() && contentType.charAt(end) != ';') {
            end++;
        }
        int from = 0;
        while (from < end && isWhitespace(contentType.charAt(from))) {
            from++;
        }
        while (end > from && isWhitespace(contentType.charAt(end - 1))) {
            end--;
        }
        return equalsIgnoreCase(contentType, from, end, SignalRHeaders.JSON_MEDIA_TYPE)
               || equalsIgnoreCase(contentType, from, end, SignalRHeaders.MESSAGEPACK_MEDIA_TYPE);
    }

    private static boolean isEmpty(CharSequence value) {
        return value == null || value.length() == 0;
    }

    private static boolean contentEquals(CharSequence text, String expected) {
        if (text.length() != expected.length()) {
            return false;
        }
        for (int i = 0; i < expected.length(); i++) {
            if (text.charAt(i) != expected.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** ASCII case-insensitive comparison of {@code text[from, to)} with a lower-case {@code expected}. */
    private static boolean equalsIgnoreCase(CharSequence text, int from, int to, String expected) {
        if (to - from != expected.length()) {
            return false;
        }
        for (int i = 0; i < expected.length(); i++) {
            char c = text.charAt(from + i);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c | 0x20);
            }
            if (c != expected.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }
}
