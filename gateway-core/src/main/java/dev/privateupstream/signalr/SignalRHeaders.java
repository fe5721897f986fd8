package dev.privateupstream.signalr;

/**
 * The header names and values of a SignalR Service upstream call in serverless mode (SPEC §6a). The names
 * are spelled as the service and the Azure Functions extension spell them; HTTP compares them
 * case-insensitively.
 */
public final class SignalRHeaders {

    /** The client connection id; always sent, and the text the signature is computed over. */
    public static final String CONNECTION_ID = "X-ASRS-Connection-Id";
    /** The hub name; always sent. */
    public static final String HUB = "X-ASRS-Hub";
    /** {@value #CATEGORY_CONNECTIONS} or {@value #CATEGORY_MESSAGES}; always sent. */
    public static final String CATEGORY = "X-ASRS-Category";
    /** The connection event or the invoked hub method; always sent. */
    public static final String EVENT = "X-ASRS-Event";
    /** {@code sha256=HEX[,sha256=HEX]}, one entry per access key of the service. */
    public static final String SIGNATURE = "X-ASRS-Signature";
    /** The user id; sent only when not empty. */
    public static final String USER_ID = "X-ASRS-User-Id";
    /** The client's claims as {@code "type: value, type: value"}; sent only when not empty. */
    public static final String USER_CLAIMS = "X-ASRS-User-Claims";
    /** The query string of the client's connect request, leading {@code ?} included; sent only when not empty. */
    public static final String CLIENT_QUERY = "X-ASRS-Client-Query";

    /** The category of connection events. */
    public static final String CATEGORY_CONNECTIONS = "connections";
    /** The category of hub method invocations. */
    public static final String CATEGORY_MESSAGES = "messages";
    /** The {@value #CATEGORY_CONNECTIONS} event of a new client connection. */
    public static final String EVENT_CONNECTED = "connected";
    /** The {@value #CATEGORY_CONNECTIONS} event of a closed client connection. */
    public static final String EVENT_DISCONNECTED = "disconnected";

    /** The media type of connection events and of JSON hub protocol invocations. */
    public static final String JSON_MEDIA_TYPE = "application/json";
    /** The media type of MessagePack hub protocol invocations. */
    public static final String MESSAGEPACK_MEDIA_TYPE = "application/x-msgpack";

    private SignalRHeaders() {
    }
}
