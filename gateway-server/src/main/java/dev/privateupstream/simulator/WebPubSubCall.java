package dev.privateupstream.simulator;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.signalr.SignatureVerifier;
import dev.privateupstream.webpubsub.WebPubSubHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Web PubSub event-handler calls as the service sends them (CloudEvents HTTP binding, binary mode; SPEC §13,
 * reference facts §2): the abuse-protection handshake and the {@code connect}, {@code connected},
 * {@code disconnected} and user events, signed with {@code ce-signature}. Each is an {@link UpstreamCall}
 * whose headers are all {@code ce-*} and {@code WebHook-*} ones, so the same sender takes both services' calls.
 */
public final class WebPubSubCall {
    /** Where the Azure Functions Web PubSub trigger listens. */
    public static final String FUNCTIONS_PATH = "/runtime/webhooks/webpubsub?code=simulator";
    /** The service's host, as {@code WebHook-Request-Origin} names it. */
    public static final String DEFAULT_ORIGIN = "contoso.webpubsub.azure.com";
    public static final String SYSTEM_CONNECT = "connect";
    public static final String SYSTEM_CONNECTED = "connected";
    public static final String SYSTEM_DISCONNECTED = "disconnected";

    private WebPubSubCall() {
    }

    /** The abuse-protection handshake: {@code OPTIONS} naming the service's origin. */
    public static UpstreamCall.Builder handshake(String origin) {
        return UpstreamCall.builder().method("OPTIONS").path(FUNCTIONS_PATH)
                .header(WebPubSubHeaders.REQUEST_ORIGIN, origin).header("ce-awpsversion", "1.0");
    }

    /**
     * An event of {@code hub} for {@code connectionId}: the system events {@code connect}, {@code connected}
     * and {@code disconnected} with their JSON bodies, any other name a user event with {@code data} as
     * {@code text/plain}.
     *
     * @param origin the service's host, for {@code WebHook-Request-Origin}
     * @param userId {@code ce-userId}, or {@code null} for an anonymous connection
     * @param accessKeys the keys {@code ce-signature} is made with, in order; none for no signature
     */
    public static UpstreamCall.Builder event(String origin, String hub, String connectionId, String userId,
            String eventName, String data, List<String> accessKeys) {
        requireNonNull(hub, "hub");
        requireNonNull(connectionId, "connectionId");
        requireNonNull(eventName, "eventName");
        final boolean system = isSystemEvent(eventName);
        final UpstreamCall.Builder call = UpstreamCall.builder().path(FUNCTIONS_PATH)
                .header(WebPubSubHeaders.REQUEST_ORIGIN, origin)
                .header("ce-awpsversion", "1.0")
                .header(WebPubSubHeaders.SPEC_VERSION, WebPubSubHeaders.SPEC_VERSION_1_0)
                .header(WebPubSubHeaders.TYPE, (system ? WebPubSubHeaders.SYSTEM_TYPE_PREFIX
                        : WebPubSubHeaders.TYPE_PREFIX + "user.") + eventName)
                .header("ce-source", "/hubs/" + hub + "/client/" + connectionId)
                .header(WebPubSubHeaders.ID, UUID.randomUUID().toString())
                .header("ce-time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())
                .header(WebPubSubHeaders.HUB, hub)
                .header(WebPubSubHeaders.CONNECTION_ID, connectionId)
                .header(WebPubSubHeaders.EVENT_NAME, eventName);
        if (userId != null && !userId.isEmpty()) {
            call.header(WebPubSubHeaders.USER_ID, userId);
        }
        if (!accessKeys.isEmpty()) {
            call.header(WebPubSubHeaders.SIGNATURE, signature(connectionId, accessKeys));
        }
        if (system) {
            call.contentType(WebPubSubHeaders.JSON_MEDIA_TYPE + "; charset=utf-8").body(systemBody(eventName));
        } else {
            call.contentType(WebPubSubHeaders.TEXT_MEDIA_TYPE + "; charset=utf-8").body(data == null ? "" : data);
        }
        return call;
    }

    /** {@code sha256=HEX,sha256=HEX}: one entry per key, as the service signs with its primary and secondary. */
    public static String signature(String connectionId, List<String> accessKeys) {
        final List<String> entries = new ArrayList<>(accessKeys.size());
        for (String key : accessKeys) {
            entries.add(SignatureVerifier.sign(key, connectionId));
        }
        return String.join(",", entries);
    }

    public static boolean isSystemEvent(String eventName) {
        return eventName.equals(SYSTEM_CONNECT) || eventName.equals(SYSTEM_CONNECTED)
                || eventName.equals(SYSTEM_DISCONNECTED);
    }

    private static byte[] systemBody(String eventName) {
        final String json;
        switch (eventName) {
            case SYSTEM_CONNECT:
                json = "{\"claims\":{},\"query\":{},\"headers\":{},\"subprotocols\":[],\"clientCertificates\":[]}";
                break;
            case SYSTEM_DISCONNECTED:
                json = "{\"reason\":\"\"}";
                break;
            default:
                json = "{}";
        }
        return json.getBytes(StandardCharsets.UTF_8);
    }
}
