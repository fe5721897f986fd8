package dev.privateupstream.signalr;

import static dev.privateupstream.headers.HeaderText.contentEquals;
import static dev.privateupstream.headers.HeaderText.equalsIgnoreCase;
import static dev.privateupstream.headers.HeaderText.isEmpty;

import dev.privateupstream.headers.HeaderText;

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
        return HeaderText.isMediaType(contentType, SignalRHeaders.JSON_MEDIA_TYPE,
                SignalRHeaders.MESSAGEPACK_MEDIA_TYPE);
    }
}
