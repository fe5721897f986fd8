package dev.privateupstream.store.etcd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;

/**
 * The JSON conventions of etcd's gRPC gateway, in both directions: bytes are base64, int64 fields are JSON
 * strings ({@code "revision":"300"}), and a field holding its proto3 default (0, false, empty) is left out of
 * an answer altogether, so every reader here treats a missing field as that default.
 */
final class GatewayJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private GatewayJson() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static byte[] write(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree that does not serialise: " + e.getMessage(), e);
        }
    }

    /** Sets {@code field} to the base64 of {@code bytes}, or leaves it out when {@code bytes} is null. */
    static void putBytes(ObjectNode node, String field, byte[] bytes) {
        if (bytes != null) {
            node.put(field, Base64.getEncoder().encodeToString(bytes));
        }
    }

    /** Sets an int64 field the way the gateway writes them, as a string; left out when 0 (the default). */
    static void putInt64(ObjectNode node, String field, long value) {
        if (value != 0) {
            node.put(field, Long.toString(value));
        }
    }

    /** A bytes field, decoded; empty when missing. */
    static byte[] bytes(JsonNode node, String field) {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return new byte[0];
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: a base64 string)");
        }
        try {
            return Base64.getDecoder().decode(value.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": not base64: " + e.getMessage(), e);
        }
    }

    /** An int64 field: a string or, leniently, a number; 0 when missing. */
    static long int64(JsonNode node, String field) {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return 0;
        }
        if (value.isTextual()) {
            try {
                return Long.parseLong(value.textValue());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(field + ": " + value + " (expected: an int64 as a string)", e);
            }
        }
        if (value.canConvertToLong()) {
            return value.longValue();
        }
        throw new IllegalArgumentException(field + ": " + value + " (expected: an int64 as a string)");
    }

    /** A bool field; false when missing. */
    static boolean bool(JsonNode node, String field) {
        return node.path(field).asBoolean(false);
    }

    /** {@code header.revision} of an answer; 0 when missing. */
    static long headerRevision(JsonNode answer) {
        return int64(answer.path("header"), "revision");
    }
}
