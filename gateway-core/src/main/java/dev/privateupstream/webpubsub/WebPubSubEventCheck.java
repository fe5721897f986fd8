package dev.privateupstream.webpubsub;

import static dev.privateupstream.headers.HeaderText.contentEquals;
import static dev.privateupstream.headers.HeaderText.isEmpty;
import static dev.privateupstream.headers.HeaderText.isMediaType;
import static dev.privateupstream.headers.HeaderText.startsWith;

/**
 * Tells whether a request is a well-formed Web PubSub event-handler call, for {@code webpubsub.validateRequests}
 * (SPEC §13), and which routing category its {@code ce-type} falls in. Runs after the access decision and the
 * token, so a caller that is not an approved endpoint learns nothing from it. Allocates nothing.
 *
 * <p>{@code ce-specversion} and {@code ce-type} compare case-sensitively, as CloudEvents attributes do; media
 * types case-insensitively, parameters ignored.
 */
public final class WebPubSubEventCheck {

    private WebPubSubEventCheck() {
    }

    /**
     * Checks, in this order: the method is {@code POST} ({@code 405}); {@code ce-specversion} is {@code 1.0},
     * {@code ce-type} starts with {@code azure.webpubsub.}, and {@code ce-id}, {@code ce-hub},
     * {@code ce-connectionId} and {@code ce-eventName} are present and not empty ({@code 400}); a system event
     * is {@code application/json}, any other {@code text/plain}, {@code application/json} or
     * {@code application/octet-stream} ({@code 415}). Any argument may be {@code null} (absent).
     *
     * @return the first problem found, or {@link WebPubSubEventProblem#NONE}
     */
    public static WebPubSubEventProblem check(CharSequence method, CharSequence specVersion, CharSequence type,
            CharSequence id, CharSequence hub, CharSequence connectionId, CharSequence eventName,
            CharSequence contentType) {
        if (method == null || !contentEquals(method, "POST")) {
            return WebPubSubEventProblem.NOT_POST;
        }
        if (specVersion == null || !contentEquals(specVersion, WebPubSubHeaders.SPEC_VERSION_1_0)) {
            return WebPubSubEventProblem.WRONG_SPEC_VERSION;
        }
        if (type == null || !startsWith(type, WebPubSubHeaders.TYPE_PREFIX)) {
            return WebPubSubEventProblem.NOT_WEBPUBSUB_TYPE;
        }
        if (isEmpty(id)) {
            return WebPubSubEventProblem.MISSING_ID;
        }
        if (isEmpty(hub)) {
            return WebPubSubEventProblem.MISSING_HUB;
        }
        if (isEmpty(connectionId)) {
            return WebPubSubEventProblem.MISSING_CONNECTION_ID;
        }
        if (isEmpty(eventName)) {
            return WebPubSubEventProblem.MISSING_EVENT_NAME;
        }
        if (startsWith(type, WebPubSubHeaders.SYSTEM_TYPE_PREFIX)) {
            if (!isMediaType(contentType, WebPubSubHeaders.JSON_MEDIA_TYPE)) {
                return WebPubSubEventProblem.SYSTEM_EVENT_NOT_JSON;
            }
        } else if (!isMediaType(contentType, WebPubSubHeaders.TEXT_MEDIA_TYPE, WebPubSubHeaders.JSON_MEDIA_TYPE,
                WebPubSubHeaders.BINARY_MEDIA_TYPE)) {
            return WebPubSubEventProblem.USER_EVENT_MEDIA_TYPE;
        }
        return WebPubSubEventProblem.NONE;
    }

    /**
     * The routing category of a {@code ce-type} (SPEC §13): {@code system} for {@code azure.webpubsub.sys.*},
     * {@code user} for any other {@code azure.webpubsub.*} event, {@code null} when absent or not a Web PubSub
     * type (only a {@code *} pattern matches it).
     */
    public static String category(CharSequence type) {
        if (type == null || !startsWith(type, WebPubSubHeaders.TYPE_PREFIX)) {
            return null;
        }
        return startsWith(type, WebPubSubHeaders.SYSTEM_TYPE_PREFIX) ? WebPubSubHeaders.CATEGORY_SYSTEM
                : WebPubSubHeaders.CATEGORY_USER;
    }
}
