package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * One answer of the admin server, built off the wire so that the API logic needs no channel.
 *
 * @param status the status code
 * @param contentType the {@code Content-Type}, or {@code null} without a body
 * @param body the body bytes, empty for none
 * @param headers further headers
 */
record AdminResponse(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {
    static final String JSON_TYPE = "application/json; charset=utf-8";
    static final String TEXT_TYPE = "text/plain; charset=utf-8";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    AdminResponse {
        requireNonNull(status, "status");
        requireNonNull(body, "body");
        headers = Map.copyOf(headers);
    }

    static AdminResponse json(HttpResponseStatus status, Object tree) {
        try {
            return new AdminResponse(status, JSON_TYPE, MAPPER.writeValueAsBytes(tree), Map.of());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    static AdminResponse text(HttpResponseStatus status, String text) {
        return new AdminResponse(status, TEXT_TYPE, text.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    static AdminResponse noContent() {
        return new AdminResponse(HttpResponseStatus.NO_CONTENT, null, new byte[0], Map.of());
    }

    /** {@code {"error":"<reason phrase>","message":"..."}}. */
    static AdminResponse error(HttpResponseStatus status, String message) {
        final ObjectNode body = MAPPER.createObjectNode()
                .put("error", status.reasonPhrase())
                .put("message", message);
        return json(status, body);
    }

    /** {@code {"error":"Bad Request","field":"properties.privateIps[0]","message":"..."}} (SPEC §7). */
    static AdminResponse badRequest(String field, String message) {
        final ObjectNode body = MAPPER.createObjectNode()
                .put("error", HttpResponseStatus.BAD_REQUEST.reasonPhrase())
                .put("field", field)
                .put("message", message);
        return json(HttpResponseStatus.BAD_REQUEST, body);
    }

    /**
     * The head of {@code GET /api/events}: the connection then carries the event stream ({@link EndpointEvents})
     * and nothing else.
     */
    static AdminResponse eventStream() {
        return new AdminResponse(HttpResponseStatus.OK, EndpointEvents.CONTENT_TYPE, new byte[0],
                Map.of("Cache-Control", "no-store"));
    }

    /** Whether this is the head of an event stream rather than a whole answer. */
    boolean isEventStream() {
        return EndpointEvents.CONTENT_TYPE.equals(contentType);
    }

    /** The same answer with one more header. */
    AdminResponse withHeader(String name, String value) {
        final Map<String, String> more = new HashMap<>(headers);
        more.put(name, value);
        return new AdminResponse(status, contentType, body, more);
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }
}
