package dev.privateupstream.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Azure Web PubSub event-handler calls as the service sends them (CloudEvents HTTP binding, binary mode), sent
 * over a real socket from a chosen loopback source address:
 *
 * <pre>{@code
 * Response r = CloudEventCalls.userEvent("chat", "conn-1", "message", "text/plain", "hi")
 *         .accessKeys("primary-key").header("Authorization", "Bearer " + token)
 *         .send("127.0.0.10", gateway.port());
 * }</pre>
 *
 * <p>Each factory fills in every header the service sends ({@code WebHook-Request-Origin}, {@code ce-specversion},
 * {@code ce-type}, {@code ce-source}, {@code ce-id}, {@code ce-time}, {@code ce-awpsversion}, {@code ce-hub},
 * {@code ce-connectionId}, {@code ce-eventName}, and {@code ce-userId} and {@code ce-signature} when set) and the
 * body and content type of the reference ({@code reference-cloud-events.md}); {@link Call#header} replaces any of
 * them and {@link Call#without} drops one, for calls the service would never send. The path is the one the
 * official middleware handles by default, {@code /api/webpubsub/hubs/{hub}/}.
 */
public final class CloudEventCalls {
    /** The host the service names in {@code WebHook-Request-Origin} unless told otherwise. */
    public static final String DEFAULT_ORIGIN = "contoso.webpubsub.azure.com";

    private static final AtomicLong IDS = new AtomicLong();

    private CloudEventCalls() {
    }

    /** The path {@code @azure/web-pubsub-express} handles for {@code hub} by default (a prefix). */
    public static String path(String hub) {
        return "/api/webpubsub/hubs/" + requireNonNull(hub, "hub") + "/";
    }

    /** {@code sha256=<hex HMAC-SHA256(key, connectionId)>}, one entry of {@code ce-signature}. */
    public static String signature(String accessKey, String connectionId) {
        requireNonNull(accessKey, "accessKey");
        requireNonNull(connectionId, "connectionId");
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(accessKey.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(connectionId.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** {@code ce-signature} for every key, comma-separated, as the service signs with primary and secondary. */
    public static String signatureHeader(List<String> accessKeys, String connectionId) {
        return accessKeys.stream().map(key -> signature(key, connectionId)).collect(Collectors.joining(","));
    }

    /** The abuse-protection handshake: {@code OPTIONS} with {@code WebHook-Request-Origin} and {@code ce-awpsversion}. */
    public static Call validate(String hub) {
        final Call call = new Call("OPTIONS", hub, null, null, null, null, null);
        call.headers.remove("ce-specversion");
        return call;
    }

    /** A blocking {@code connect} event with empty claims and query. */
    public static Call connect(String hub, String connectionId) {
        return new Call("POST", hub, connectionId, "azure.webpubsub.sys.connect", "connect",
                "application/json; charset=utf-8", null).connectBody("{}", "{}");
    }

    /** The non-blocking {@code connected} event, body {@code {}}. */
    public static Call connected(String hub, String connectionId) {
        return new Call("POST", hub, connectionId, "azure.webpubsub.sys.connected", "connected",
                "application/json; charset=utf-8", "{}");
    }

    /** The non-blocking {@code disconnected} event, body {@code {"reason":"..."}}. */
    public static Call disconnected(String hub, String connectionId, String reason) {
        return new Call("POST", hub, connectionId, "azure.webpubsub.sys.disconnected", "disconnected",
                "application/json; charset=utf-8", "{\"reason\":" + jsonString(reason) + "}");
    }

    /**
     * A user event ({@code azure.webpubsub.user.<event>}): {@code text/plain} for a text frame,
     * {@code application/json} or {@code application/octet-stream} for the others.
     */
    public static Call userEvent(String hub, String connectionId, String event, String contentType, String body) {
        return new Call("POST", hub, connectionId, "azure.webpubsub.user." + requireNonNull(event, "event"), event,
                requireNonNull(contentType, "contentType"), requireNonNull(body, "body"));
    }

    /** A text {@code message} event from a plain WebSocket client. */
    public static Call message(String hub, String connectionId, String text) {
        return userEvent(hub, connectionId, "message", "text/plain", text);
    }

    /** What came back: status, every header line in order, the body as framed. */
    public record Response(int status, List<Map.Entry<String, String>> headers, byte[] body) {
        public Response {
            headers = List.copyOf(headers);
        }

        /** The first value of the header, or {@code null}. */
        public String header(String name) {
            for (Map.Entry<String, String> h : headers) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    return h.getValue();
                }
            }
            return null;
        }

        /** Every value of the header, one per header line. */
        public List<String> headers(String name) {
            final List<String> values = new ArrayList<>();
            for (Map.Entry<String, String> h : headers) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    values.add(h.getValue());
                }
            }
            return values;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + headers + " " + bodyText();
        }
    }

    /**
     * One call, assembled step by step and sent with {@link #send}. The headers are computed from the fields
     * when sent, so {@link #accessKeys} and {@link #userId} may come in any order; a {@link #header} set by
     * the test wins over a computed one.
     */
    public static final class Call {
        private String method;
        private String path;
        private final String hub;
        private final String connectionId;
        private String contentType;
        private byte[] body;
        private String userId;
        private List<String> accessKeys = List.of();
        /** The headers the service sends, by lower-cased name, before the test's changes. */
        private final Map<String, Map.Entry<String, String>> headers = new LinkedHashMap<>();
        private final Map<String, Map.Entry<String, String>> overrides = new LinkedHashMap<>();
        private final List<Map.Entry<String, String>> extra = new ArrayList<>();

        private Call(String method, String hub, String connectionId, String type, String eventName,
                String contentType, String body) {
            this.method = method;
            this.hub = requireNonNull(hub, "hub");
            this.connectionId = connectionId;
            this.path = CloudEventCalls.path(hub);
            this.contentType = contentType;
            this.body = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            put("WebHook-Request-Origin", DEFAULT_ORIGIN);
            put("ce-awpsversion", "1.0");
            put("ce-specversion", "1.0");
            if (type != null) {
                put("ce-type", type);
                put("ce-source", "/hubs/" + hub + "/client/" + connectionId);
                put("ce-id", Long.toString(IDS.incrementAndGet()));
                put("ce-time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
                put("ce-hub", hub);
                put("ce-connectionId", connectionId);
                put("ce-eventName", eventName);
            }
        }

        private void put(String name, String value) {
            headers.put(name.toLowerCase(Locale.ROOT), Map.entry(name, value));
        }

        /** Signs with these keys (primary, secondary): {@code ce-signature: sha256=...,sha256=...}. */
        public Call accessKeys(String... keys) {
            accessKeys = List.of(keys);
            return this;
        }

        /** Sends this {@code ce-signature} as it is, such as {@code sha256=deadbeef}. */
        public Call forgedSignature(String value) {
            return header("ce-signature", value);
        }

        /** {@code ce-userId}; none unless set (an anonymous client). */
        public Call userId(String userId) {
            this.userId = requireNonNull(userId, "userId");
            return this;
        }

        /** {@code WebHook-Request-Origin}: one host, or several comma-separated as with replicas. */
        public Call origin(String origin) {
            return header("WebHook-Request-Origin", origin);
        }

        /** For a {@code connect}: the client's claims and query, each a JSON object of string arrays. */
        public Call connectBody(String claimsJson, String queryJson) {
            return body("{\"claims\":" + claimsJson + ",\"query\":" + queryJson
                    + ",\"headers\":{},\"subprotocols\":[],\"clientCertificates\":[]}");
        }

        /** Sets a header, replacing the one the service would send under that name (any case). */
        public Call header(String name, String value) {
            overrides.put(name.toLowerCase(Locale.ROOT), Map.entry(name, requireNonNull(value, "value")));
            return this;
        }

        /** Adds one more header line, even one with the name of another (a repeated header). */
        public Call addHeader(String name, String value) {
            extra.add(Map.entry(name, requireNonNull(value, "value")));
            return this;
        }

        /** Leaves out a header the service would send, such as {@code ce-id}. */
        public Call without(String name) {
            final String key = name.toLowerCase(Locale.ROOT);
            headers.remove(key);
            overrides.remove(key);
            if (key.equals("content-type")) {
                contentType = null;
            }
            return this;
        }

        public Call method(String method) {
            this.method = requireNonNull(method, "method");
            return this;
        }

        /** The request target, instead of {@link CloudEventCalls#path}; may carry a query. */
        public Call path(String path) {
            this.path = requireNonNull(path, "path");
            return this;
        }

        public Call contentType(String contentType) {
            this.contentType = requireNonNull(contentType, "contentType");
            return this;
        }

        public Call body(String body) {
            return body(body.getBytes(StandardCharsets.UTF_8));
        }

        public Call body(byte[] body) {
            this.body = body.clone();
            return this;
        }

        public String hub() {
            return hub;
        }

        public String connectionId() {
            return connectionId;
        }

        /** The header lines as they will be sent, {@code Host} and {@code Content-Length} aside. */
        public List<Map.Entry<String, String>> headers() {
            final Map<String, Map.Entry<String, String>> all = new LinkedHashMap<>(headers);
            if (userId != null && all.containsKey("ce-connectionid")) {
                all.put("ce-userid", Map.entry("ce-userId", userId));
            }
            if (!accessKeys.isEmpty() && connectionId != null) {
                all.put("ce-signature", Map.entry("ce-signature", signatureHeader(accessKeys, connectionId)));
            }
            if (contentType != null && (body.length > 0 || "POST".equals(method))) {
                all.put("content-type", Map.entry("Content-Type", contentType));
            }
            all.putAll(overrides);
            final List<Map.Entry<String, String>> lines = new ArrayList<>(all.values());
            lines.addAll(extra);
            return lines;
        }

        /** The bytes of the request: request line, {@code Host}, the headers, {@code Content-Length}, body. */
        public byte[] encode(String host) {
            final StringBuilder head = new StringBuilder(512);
            head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
            head.append("Host: ").append(host).append("\r\n");
            for (Map.Entry<String, String> h : headers()) {
                head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
            if (body.length > 0 || !"OPTIONS".equals(method)) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            final byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
            final byte[] bytes = new byte[headBytes.length + body.length];
            System.arraycopy(headBytes, 0, bytes, 0, headBytes.length);
            System.arraycopy(body, 0, bytes, headBytes.length, body.length);
            return bytes;
        }

        /** Opens a connection from {@code source} to {@code 127.0.0.1:port}, sends this call, reads the response. */
        public Response send(String source, int port) throws IOException {
            try (RawClient client = new RawClient(source, port)) {
                return sendOn(client, "127.0.0.1:" + port);
            }
        }

        /** Sends this call on an open connection (keep-alive) and reads its response. */
        public Response sendOn(RawClient client, String host) throws IOException {
            final RawClient.Response response = client.send(encode(host)).read();
            final List<Map.Entry<String, String>> lines = new ArrayList<>();
            for (String[] h : response.headers()) {
                lines.add(Map.entry(h[0], h[1]));
            }
            return new Response(response.status(), lines, response.body());
        }

        @Override
        public String toString() {
            return method + " " + path + " " + headers();
        }
    }

    private static String jsonString(String value) {
        final StringBuilder json = new StringBuilder("\"");
        for (char c : requireNonNull(value, "value").toCharArray()) {
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"').toString();
    }
}
