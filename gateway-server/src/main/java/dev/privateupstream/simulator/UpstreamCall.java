package dev.privateupstream.simulator;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.privateupstream.signalr.SignalRHeaders;
import dev.privateupstream.signalr.SignatureVerifier;

/**
 * One SignalR upstream call as the service sends it in serverless mode (SPEC §6a): method, request target,
 * the {@code X-ASRS-*} headers, a signature made with zero, one or two access keys, and the body. Immutable.
 *
 * <p>The factories build calls the way the service does; {@link #toBuilder()} and {@link #builder()} bend
 * them for tests (another method, a missing header, a spoofed {@code X-Forwarded-For}). The headers are
 * written in this order: {@code Host}, {@code X-ASRS-Connection-Id}, {@code -Hub}, {@code -Category},
 * {@code -Event}, {@code -Signature}, {@code -User-Id}, {@code -User-Claims}, {@code -Client-Query} (those four
 * only when not empty), {@code Content-Type}, {@code Content-Length}, then the extra headers. An extra header
 * replaces the generated header of the same name, so a test can send its own {@code Host},
 * {@code Content-Type} or {@code X-ASRS-Signature}. Header values go on the wire as UTF-8, the bytes the
 * signature is computed over.
 */
public final class UpstreamCall {

    /** The request target of the Azure Functions SignalR trigger, the default. */
    public static final String FUNCTIONS_PATH = "/runtime/webhooks/signalr?code=simulator";
    /** The hub the {@code demo} and {@code send} commands call by default. */
    public static final String DEFAULT_HUB = "chat";

    /** Methods whose request without a body carries no {@code Content-Length} (RFC 9110 §8.6). */
    private static final Set<String> BODYLESS_METHODS = Set.of("GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT");

    private final String method;
    private final String path;
    private final String host;
    private final String hub;
    private final String category;
    private final String event;
    private final String connectionId;
    private final String userId;
    private final String userClaims;
    private final String clientQuery;
    private final String contentType;
    private final List<String> accessKeys;
    private final List<HeaderField> extraHeaders;
    private final byte[] body;
    /** Every header but {@code Host}, in wire order, built once. */
    private final List<HeaderField> headersAfterHost;

    private UpstreamCall(Builder builder) {
        method = builder.method;
        path = builder.path;
        host = builder.host;
        hub = builder.hub;
        category = builder.category;
        event = builder.event;
        connectionId = builder.connectionId;
        userId = builder.userId;
        userClaims = builder.userClaims;
        clientQuery = builder.clientQuery;
        contentType = builder.contentType;
        accessKeys = List.copyOf(builder.accessKeys);
        extraHeaders = List.copyOf(builder.extraHeaders);
        body = builder.body.clone();
        headersAfterHost = buildHeadersAfterHost();
    }

    /** A {@code connected} event of {@code hub}: {@code {"type":10}} in JSON. */
    public static UpstreamCall connected(String hub, String connectionId) {
        return builder().hub(requireNonNull(hub, "hub")).connectionId(requireNonNull(connectionId, "connectionId"))
            .connected().build();
    }

    /** A {@code disconnected} event without error: {@code {"type":11}} in JSON. */
    public static UpstreamCall disconnected(String hub, String connectionId) {
        return disconnected(hub, connectionId, null);
    }

    /** A {@code disconnected} event, {@code {"type":11,"error":"..."}} in JSON when {@code error} is not null. */
    public static UpstreamCall disconnected(String hub, String connectionId, String error) {
        return builder().hub(requireNonNull(hub, "hub")).connectionId(requireNonNull(connectionId, "connectionId"))
            .disconnected(error).build();
    }

    /**
     * A message invocation of {@code target} in {@code protocol}.
     *
     * @param invocationId {@code null} for a call that expects no completion
     * @param arguments plain values: strings, numbers, booleans, {@code null}, byte arrays, lists, arrays, maps
     */
    public static UpstreamCall invocation(HubProtocol protocol, String hub, String connectionId, String target,
                                          String invocationId, Object... arguments) {
        return builder().hub(requireNonNull(hub, "hub")).connectionId(requireNonNull(connectionId, "connectionId"))
            .invocation(protocol, target, invocationId, arguments).build();
    }

    /** An empty {@code POST} to {@link #FUNCTIONS_PATH} with no SignalR header, to assemble by hand. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this call. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    public String method() {
        return method;
    }

    /** The request target: path and query. */
    public String path() {
        return path;
    }

    /** The {@code Host} header, or {@code null} to use the authority of the URL the call is sent to. */
    public String host() {
        return host;
    }

    public String hub() {
        return hub;
    }

    public String category() {
        return category;
    }

    public String event() {
        return event;
    }

    public String connectionId() {
        return connectionId;
    }

    public String userId() {
        return userId;
    }

    public String userClaims() {
        return userClaims;
    }

    public String clientQuery() {
        return clientQuery;
    }

    /** The {@code Content-Type}, or {@code null} when none is sent. */
    public String contentType() {
        return contentType;
    }

    /** The access keys the signature is made with, in order; empty for no {@code X-ASRS-Signature}. */
    public List<String> accessKeys() {
        return accessKeys;
    }

    /** Headers sent after the generated ones, replacing those of the same name. */
    public List<HeaderField> extraHeaders() {
        return extraHeaders;
    }

    /** A copy of the body. */
    public byte[] body() {
        return body.clone();
    }

    /** The {@code X-ASRS-Signature} value this call carries, or {@code null} when it carries none. */
    public String signature() {
        final String extra = HeaderField.first(extraHeaders, SignalRHeaders.SIGNATURE);
        return extra != null ? extra : HeaderField.first(headersAfterHost, SignalRHeaders.SIGNATURE);
    }

    /**
     * The header lines in the order they are written.
     *
     * @param defaultHost the {@code Host} value when the call names none, usually the target URL's authority
     */
    public List<HeaderField> headers(String defaultHost) {
        requireNonNull(defaultHost, "defaultHost");
        final List<HeaderField> headers = new ArrayList<>(headersAfterHost.size() + 1);
        if (HeaderField.first(extraHeaders, "Host") == null) {
            headers.add(new HeaderField("Host", host != null ? host : defaultHost));
        }
        headers.addAll(headersAfterHost);
        return headers;
    }

    /** The whole HTTP/1.1 request, head and body. Header values are written as UTF-8. */
    byte[] encode(String defaultHost) {
        final StringBuilder head = new StringBuilder(256).append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        for (HeaderField header : headers(defaultHost)) {
            head.append(header.name()).append(": ").append(header.value()).append("\r\n");
        }
        head.append("\r\n");
        final byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
        final ByteArrayOutputStream out = new ByteArrayOutputStream(headBytes.length + body.length);
        out.writeBytes(headBytes);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private List<HeaderField> buildHeadersAfterHost() {
        final Set<String> replaced = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        extraHeaders.forEach(h -> replaced.add(h.name()));
        final List<HeaderField> headers = new ArrayList<>();
        addUnlessReplaced(headers, replaced, SignalRHeaders.CONNECTION_ID, connectionId);
        addUnlessReplaced(headers, replaced, SignalRHeaders.HUB, hub);
        addUnlessReplaced(headers, replaced, SignalRHeaders.CATEGORY, category);
        addUnlessReplaced(headers, replaced, SignalRHeaders.EVENT, event);
        if (!accessKeys.isEmpty() && connectionId != null) {
            final List<String> entries = new ArrayList<>(accessKeys.size());
            for (String key : accessKeys) {
                entries.add(SignatureVerifier.sign(key, connectionId));
            }
            addUnlessReplaced(headers, replaced, SignalRHeaders.SIGNATURE, String.join(",", entries));
        }
        addUnlessReplaced(headers, replaced, SignalRHeaders.USER_ID, emptyToNull(userId));
        addUnlessReplaced(headers, replaced, SignalRHeaders.USER_CLAIMS, emptyToNull(userClaims));
        addUnlessReplaced(headers, replaced, SignalRHeaders.CLIENT_QUERY, emptyToNull(clientQuery));
        addUnlessReplaced(headers, replaced, "Content-Type", contentType);
        if (body.length > 0 || !BODYLESS_METHODS.contains(method)) {
            if (!replaced.contains("Transfer-Encoding")) {
                addUnlessReplaced(headers, replaced, "Content-Length", Integer.toString(body.length));
            }
        }
        headers.addAll(extraHeaders);
        return List.copyOf(headers);
    }

    private static void addUnlessReplaced(List<HeaderField> headers, Set<String> replaced, String name, String value) {
        if (value != null && !replaced.contains(name)) {
            headers.add(new HeaderField(name, value));
        }
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    @Override
    public String toString() {
        return method + ' ' + path + " (hub " + hub + ", " + category + '/' + event + ", connection " + connectionId
               + ", " + body.length + " body bytes)";
    }

    /**
     * Assembles an {@link UpstreamCall}. A {@code null} header value means the header is not sent. Not
     * thread-safe; {@link #build()} copies what it holds.
     */
    public static final class Builder {
        private String method = "POST";
        private String path = FUNCTIONS_PATH;
        private String host;
        private String hub;
        private String category;
        private String event;
        private String connectionId;
        private String userId;
        private String userClaims;
        private String clientQuery;
        private String contentType;
        private List<String> accessKeys = List.of();
        private final List<HeaderField> extraHeaders = new ArrayList<>();
        private byte[] body = new byte[0];

        private Builder() {
        }

        private Builder(UpstreamCall call) {
            method = call.method;
            path = call.path;
            host = call.host;
            hub = call.hub;
            category = call.category;
            event = call.event;
            connectionId = call.connectionId;
            userId = call.userId;
            userClaims = call.userClaims;
            clientQuery = call.clientQuery;
            contentType = call.contentType;
            accessKeys = call.accessKeys;
            extraHeaders.addAll(call.extraHeaders);
            body = call.body;
        }

        /** Makes this a {@code connected} event: category, event, JSON body and content type. */
        public Builder connected() {
            category = SignalRHeaders.CATEGORY_CONNECTIONS;
            event = SignalRHeaders.EVENT_CONNECTED;
            contentType = HubProtocol.JSON.mediaType();
            body = HubMessageCodec.connected();
            return this;
        }

        /** Makes this a {@code disconnected} event, with {@code "error"} in the body when {@code error} is not null. */
        public Builder disconnected(String error) {
            category = SignalRHeaders.CATEGORY_CONNECTIONS;
            event = SignalRHeaders.EVENT_DISCONNECTED;
            contentType = HubProtocol.JSON.mediaType();
            body = HubMessageCodec.disconnected(error);
            return this;
        }

        /**
         * Makes this a message invocation of {@code target}: category {@code messages}, event {@code target},
         * the body and content type of {@code protocol}.
         *
         * @param invocationId {@code null} for a call that expects no completion
         */
        public Builder invocation(HubProtocol protocol, String target, String invocationId, Object... arguments) {
            requireNonNull(protocol, "protocol");
            requireNonNull(target, "target");
            requireNonNull(arguments, "arguments");
            category = SignalRHeaders.CATEGORY_MESSAGES;
            event = target;
            contentType = protocol.mediaType();
            body = HubMessageCodec.invocation(protocol, invocationId, target, Arrays.asList(arguments));
            return this;
        }

        public Builder method(String method) {
            requireNonNull(method, "method");
            if (method.isEmpty() || method.chars().anyMatch(c -> c <= ' ' || c >= 0x7F)) {
                throw new IllegalArgumentException("method: '" + method + "' (expected: an HTTP token)");
            }
            this.method = method;
            return this;
        }

        /** The request target, path and query, e.g. {@code /api/chat/connections/connected}. */
        public Builder path(String path) {
            requireNonNull(path, "path");
            if (path.isEmpty() || path.chars().anyMatch(c -> c <= ' ' || c >= 0x7F)) {
                throw new IllegalArgumentException("path: '" + path + "' (expected: an origin-form or absolute-form target)");
            }
            this.path = path;
            return this;
        }

        /** The {@code Host} header; {@code null} for the authority of the URL the call is sent to. */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder hub(String hub) {
            this.hub = hub;
            return this;
        }

        public Builder category(String category) {
            this.category = category;
            return this;
        }

        public Builder event(String event) {
            this.event = event;
            return this;
        }

        public Builder connectionId(String connectionId) {
            this.connectionId = connectionId;
            return this;
        }

        /** {@code X-ASRS-User-Id}, sent only when not empty. */
        public Builder userId(String userId) {
            this.userId = userId;
            return this;
        }

        /** {@code X-ASRS-User-Claims} as {@code "type: value, type: value"}, sent only when not empty. */
        public Builder userClaims(String userClaims) {
            this.userClaims = userClaims;
            return this;
        }

        /** {@code X-ASRS-Client-Query} with its leading {@code ?}, sent only when not empty. */
        public Builder clientQuery(String clientQuery) {
            this.clientQuery = clientQuery;
            return this;
        }

        /** The access keys to sign with, one signature entry each; none for no {@code X-ASRS-Signature}. */
        public Builder accessKeys(String... accessKeys) {
            return accessKeys(Arrays.asList(accessKeys));
        }

        /** The access keys to sign with, one signature entry each; none for no {@code X-ASRS-Signature}. */
        public Builder accessKeys(List<String> accessKeys) {
            requireNonNull(accessKeys, "accessKeys");
            for (int i = 0; i < accessKeys.size(); i++) {
                final String key = requireNonNull(accessKeys.get(i), "accessKeys[" + i + "]");
                if (key.isEmpty()) {
                    throw new IllegalArgumentException("accessKeys[" + i + "]: \"\" (expected: a non-empty access key)");
                }
            }
            this.accessKeys = List.copyOf(accessKeys);
            return this;
        }

        /** {@code null} to send no {@code Content-Type}. */
        public Builder contentType(String contentType) {
            this.contentType = contentType;
            return this;
        }

        /** Adds a header sent after the generated ones; it replaces a generated header of the same name. */
        public Builder header(String name, String value) {
            extraHeaders.add(new HeaderField(name, value));
            return this;
        }

        /** Drops every header added with {@link #header}. */
        public Builder clearHeaders() {
            extraHeaders.clear();
            return this;
        }

        /** The body as it is, with no framing; the content type stays as it is. */
        public Builder body(byte[] body) {
            this.body = requireNonNull(body, "body").clone();
            return this;
        }

        /** The body as UTF-8 text; the content type stays as it is. */
        public Builder body(String body) {
            return body(requireNonNull(body, "body").getBytes(StandardCharsets.UTF_8));
        }

        /**
         * Builds the call.
         *
         * @throws IllegalArgumentException if a header value holds CR or LF
         */
        public UpstreamCall build() {
            return new UpstreamCall(this);
        }
    }
}
