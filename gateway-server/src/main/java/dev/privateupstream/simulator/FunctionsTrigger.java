package dev.privateupstream.simulator;

import dev.privateupstream.signalr.SignalRHeaders;
import dev.privateupstream.signalr.SignatureCheck;
import dev.privateupstream.signalr.SignatureVerifier;
import dev.privateupstream.webpubsub.WebPubSubHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Decides what the Azure Functions SignalR trigger endpoint answers to a request (wire facts §1, "Expected
 * responses"), free of I/O so the {@link FunctionsBackend} handler only moves bytes.
 *
 * <p>In order: not {@code POST}: {@code 405}; a content type other than JSON or MessagePack: {@code 415};
 * {@code X-ASRS-Hub}, {@code -Category} or {@code -Event} missing: {@code 400}; access keys given and the
 * signature does not verify: {@code 401}; a category or connection event no function handles: {@code 404};
 * {@code connected}, {@code disconnected} and invocations without an id: {@code 200} with no body; an
 * invocation with an id: {@code 200} with a completion whose result is {@code TARGET:ARGUMENT_COUNT}, framed
 * in the request's protocol; a body that is not an invocation, or whose target differs from
 * {@code X-ASRS-Event}: {@code 500} with the problem as the reason phrase, as the Functions host does for an
 * exception.
 */
final class FunctionsTrigger {

    private final SignatureVerifier verifier;

    /** @param verifier {@code null} to accept any signature, or none */
    FunctionsTrigger(SignatureVerifier verifier) {
        this.verifier = verifier;
    }

    /** What the trigger answers: status, reason phrase, content type ({@code null} for none) and body. */
    record Answer(int status, String reason, String contentType, byte[] body, List<HeaderField> headers) {
        Answer(int status, String reason, String contentType, byte[] body) {
            this(status, reason, contentType, body, List.of());
        }

        static Answer empty(int status, String reason) {
            return new Answer(status, reason, null, new byte[0]);
        }
    }

    Answer answer(String method, List<HeaderField> headers, byte[] body) {
        if (HeaderField.first(headers, WebPubSubHeaders.TYPE) != null
                || "OPTIONS".equals(method) && HeaderField.first(headers, WebPubSubHeaders.REQUEST_ORIGIN) != null) {
            return webPubSub(method, headers, body);
        }
        if (!"POST".equals(method)) {
            return Answer.empty(405, "Method Not Allowed");
        }
        final HubProtocol protocol = HubProtocol.ofContentType(HeaderField.first(headers, "Content-Type"));
        if (protocol == null) {
            return Answer.empty(415, "Unsupported Media Type");
        }
        final String hub = HeaderField.first(headers, SignalRHeaders.HUB);
        final String category = HeaderField.first(headers, SignalRHeaders.CATEGORY);
        final String event = HeaderField.first(headers, SignalRHeaders.EVENT);
        if (isEmpty(hub) || isEmpty(category) || isEmpty(event)) {
            return Answer.empty(400, "Bad Request");
        }
        if (verifier != null) {
            final String connectionId = HeaderField.first(headers, SignalRHeaders.CONNECTION_ID);
            final String signature = HeaderField.first(headers, SignalRHeaders.SIGNATURE);
            if (verifier.checkWireValue(connectionId, signature) != SignatureCheck.VALID) {
                return Answer.empty(401, "Unauthorized");
            }
        }
        if (category.equalsIgnoreCase(SignalRHeaders.CATEGORY_CONNECTIONS)) {
            if (event.equalsIgnoreCase(SignalRHeaders.EVENT_CONNECTED) || event.equalsIgnoreCase(SignalRHeaders.EVENT_DISCONNECTED)) {
                return Answer.empty(200, "OK");
            }
            return Answer.empty(404, "Not Found");
        }
        if (!category.equalsIgnoreCase(SignalRHeaders.CATEGORY_MESSAGES)) {
            return Answer.empty(404, "Not Found");
        }
        final HubMessageCodec.Invocation invocation;
        try {
            invocation = HubMessageCodec.parseInvocation(protocol, body);
        } catch (IllegalArgumentException e) {
            return Answer.empty(500, e.getMessage());
        }
        if (!invocation.target().equalsIgnoreCase(event)) {
            return Answer.empty(500, "target " + invocation.target() + " does not match " + SignalRHeaders.EVENT + " " + event);
        }
        if (invocation.invocationId() == null) {
            return Answer.empty(200, "OK");
        }
        final String result = invocation.target() + ':' + invocation.argumentCount();
        return new Answer(200, "OK", protocol.mediaType(), HubMessageCodec.completion(protocol, invocation.invocationId(), result));
    }

    /**
     * What the Functions Web PubSub trigger answers (reference facts §2.3, §2.5): the handshake with
     * {@code WebHook-Allowed-Origin: *}; with access keys, a {@code ce-signature} that does not verify
     * {@code 401}; {@code connect} {@code 200} with the user in JSON; other system events {@code 204}; a user
     * event {@code 200} echoing its data as text.
     */
    private Answer webPubSub(String method, List<HeaderField> headers, byte[] body) {
        if ("OPTIONS".equals(method)) {
            return new Answer(200, "OK", null, new byte[0],
                    List.of(new HeaderField(WebPubSubHeaders.ALLOWED_ORIGIN, "*")));
        }
        if (!"POST".equals(method)) {
            return Answer.empty(405, "Method Not Allowed");
        }
        final String connectionId = HeaderField.first(headers, WebPubSubHeaders.CONNECTION_ID);
        if (verifier != null && verifier.checkWireValue(connectionId,
                HeaderField.first(headers, WebPubSubHeaders.SIGNATURE)) != SignatureCheck.VALID) {
            return Answer.empty(401, "Unauthorized");
        }
        final String type = HeaderField.first(headers, WebPubSubHeaders.TYPE);
        if (type.equals(WebPubSubHeaders.SYSTEM_TYPE_PREFIX + "connect")) {
            final String userId = HeaderField.first(headers, WebPubSubHeaders.USER_ID);
            final String json = "{\"userId\":\"" + (isEmpty(userId) ? "demo-user" : jsonText(userId)) + "\"}";
            return new Answer(200, "OK", "application/json; charset=utf-8", json.getBytes(StandardCharsets.UTF_8));
        }
        if (type.startsWith(WebPubSubHeaders.SYSTEM_TYPE_PREFIX)) {
            return Answer.empty(204, "No Content");
        }
        final byte[] echo = ("echo:" + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        return new Answer(200, "OK", "text/plain; charset=utf-8", echo);
    }

    /** Letters, digits and {@code -_.@} as they are; anything else dropped: the demo's user ids are plain. */
    private static String jsonText(String value) {
        final StringBuilder text = new StringBuilder(value.length());
        for (char c : value.toCharArray()) {
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == '@') {
                text.append(c);
            }
        }
        return text.toString();
    }

    private static boolean isEmpty(String value) {
        return value == null || value.isEmpty();
    }
}
