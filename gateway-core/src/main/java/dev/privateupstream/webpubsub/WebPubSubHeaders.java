package dev.privateupstream.webpubsub;

/**
 * The headers of a Web PubSub event-handler call (CloudEvents HTTP binding, binary mode) and the values the
 * gateway reads in them (SPEC §13).
 */
public final class WebPubSubHeaders {
    public static final String SPEC_VERSION = "ce-specversion";
    public static final String TYPE = "ce-type";
    public static final String ID = "ce-id";
    public static final String HUB = "ce-hub";
    public static final String CONNECTION_ID = "ce-connectionId";
    public static final String EVENT_NAME = "ce-eventName";
    public static final String USER_ID = "ce-userId";
    public static final String SIGNATURE = "ce-signature";
    /** The service's host, on every call and on the abuse-protection handshake. */
    public static final String REQUEST_ORIGIN = "WebHook-Request-Origin";
    /** The handshake's answer: the origin allowed to send. */
    public static final String ALLOWED_ORIGIN = "WebHook-Allowed-Origin";

    public static final String SPEC_VERSION_1_0 = "1.0";
    public static final String TYPE_PREFIX = "azure.webpubsub.";
    public static final String SYSTEM_TYPE_PREFIX = "azure.webpubsub.sys.";
    /** The category of {@code azure.webpubsub.sys.*} events, for {@code categoryPattern}. */
    public static final String CATEGORY_SYSTEM = "system";
    /** The category of every other event, for {@code categoryPattern}. */
    public static final String CATEGORY_USER = "user";

    public static final String JSON_MEDIA_TYPE = "application/json";
    public static final String TEXT_MEDIA_TYPE = "text/plain";
    public static final String BINARY_MEDIA_TYPE = "application/octet-stream";

    private WebPubSubHeaders() {
    }
}
