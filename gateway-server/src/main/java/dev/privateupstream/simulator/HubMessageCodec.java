package dev.privateupstream.simulator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The SignalR serverless messages the simulator writes and reads: the bodies of upstream calls (transport
 * framing removed, as the service sends them) and the framed completion a Functions backend answers with.
 *
 * <p>Message types from the hub protocol: 1 invocation, 3 completion, 10 open connection, 11 close connection.
 */
final class HubMessageCodec {

    static final int INVOCATION = 1;
    static final int COMPLETION = 3;
    static final int OPEN_CONNECTION = 10;
    static final int CLOSE_CONNECTION = 11;
    /** The MessagePack completion's result kind for a result that is not void. */
    static final int NON_VOID_RESULT = 3;
    /** Ends every JSON hub protocol message on the transport. */
    static final byte RECORD_SEPARATOR = 0x1E;

    private static final ObjectMapper JSON = new ObjectMapper();

    private HubMessageCodec() {
    }

    /** {@code {"type":10}}. */
    static byte[] connected() {
        final ObjectNode message = JSON.createObjectNode().put("type", OPEN_CONNECTION);
        return writeJson(message);
    }

    /** {@code {"type":11}}, with {@code "error"} when {@code error} is not {@code null}. */
    static byte[] disconnected(String error) {
        final ObjectNode message = JSON.createObjectNode().put("type", CLOSE_CONNECTION);
        if (error != null) {
            message.put("error", error);
        }
        return writeJson(message);
    }

    /**
     * An invocation message without its transport framing: JSON {@code {"type":1,"invocationId":..,
     * "target":..,"arguments":[..]}} (no {@code invocationId} when {@code null}), or MessagePack
     * {@code [1, {}, invocationId-or-nil, target, [..]]}.
     */
    static byte[] invocation(HubProtocol protocol, String invocationId, String target, List<Object> arguments) {
        return switch (protocol) {
            case JSON -> {
                final ObjectNode message = JSON.createObjectNode().put("type", INVOCATION);
                if (invocationId != null) {
                    message.put("invocationId", invocationId);
                }
                message.put("target", target);
                final ArrayNode args = message.putArray("arguments");
                for (Object argument : arguments) {
                    args.add(JSON.valueToTree(argument));
                }
                yield writeJson(message);
            }
            case MESSAGEPACK -> {
                try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
                    packer.packArrayHeader(5).packInt(INVOCATION).packMapHeader(0);
                    if (invocationId == null) {
                        packer.packNil();
                    } else {
                        packer.packString(invocationId);
                    }
                    packer.packString(target).packArrayHeader(arguments.size());
                    for (Object argument : arguments) {
                        pack(packer, argument);
                    }
                    yield packer.toByteArray();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /**
     * A completion with a result, framed for the transport as the Functions extension answers: JSON
     * {@code {"type":3,"invocationId":..,"result":..}} followed by the record separator, or MessagePack
     * {@code [3, {}, invocationId, 3, result]} preceded by its length as a VarInt.
     */
    static byte[] completion(HubProtocol protocol, String invocationId, String result) {
        return switch (protocol) {
            case JSON -> {
                final ObjectNode message = JSON.createObjectNode()
                    .put("type", COMPLETION).put("invocationId", invocationId).put("result", result);
                final byte[] json = writeJson(message);
                final byte[] framed = new byte[json.length + 1];
                System.arraycopy(json, 0, framed, 0, json.length);
                framed[json.length] = RECORD_SEPARATOR;
                yield framed;
            }
            case MESSAGEPACK -> {
                final byte[] message;
                try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
                    packer.packArrayHeader(5).packInt(COMPLETION).packMapHeader(0).packString(invocationId)
                        .packInt(NON_VOID_RESULT).packString(result);
                    message = packer.toByteArray();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                final ByteArrayOutputStream framed = new ByteArrayOutputStream(message.length + 5);
                writeVarInt(framed, message.length);
                framed.writeBytes(message);
                yield framed.toByteArray();
            }
        };
    }

    /** The parts of an invocation a backend needs. */
    record Invocation(String invocationId, String target, int argumentCount) {
    }

    /**
     * Reads an unframed invocation message. JSON field names match in any letter case, as the Functions
     * extension reads them.
     *
     * @throws IllegalArgumentException naming what is wrong with the body
     */
    static Invocation parseInvocation(HubProtocol protocol, byte[] body) {
        return switch (protocol) {
            case JSON -> parseJsonInvocation(body);
            case MESSAGEPACK -> parseMessagePackInvocation(body);
        };
    }

    private static Invocation parseJsonInvocation(byte[] body) {
        final JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("body: not JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("body: not a JSON object (expected: an invocation message)");
        }
        JsonNode type = null;
        JsonNode invocationId = null;
        JsonNode target = null;
        JsonNode arguments = null;
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            switch (field.getKey().toLowerCase(Locale.ROOT)) {
                case "type" -> type = field.getValue();
                case "invocationid" -> invocationId = field.getValue();
                case "target" -> target = field.getValue();
                case "arguments" -> arguments = field.getValue();
                default -> { }
            }
        }
        if (type == null || !type.canConvertToInt() || type.intValue() != INVOCATION) {
            throw new IllegalArgumentException("type: " + type + " (expected: " + INVOCATION + ")");
        }
        if (target == null || !target.isTextual()) {
            throw new IllegalArgumentException("target: " + target + " (expected: a string)");
        }
        if (invocationId != null && !invocationId.isNull() && !invocationId.isTextual()) {
            throw new IllegalArgumentException("invocationId: " + invocationId + " (expected: a string)");
        }
        if (arguments != null && !arguments.isArray()) {
            throw new IllegalArgumentException("arguments: " + arguments + " (expected: an array)");
        }
        return new Invocation(invocationId == null || invocationId.isNull() ? null : invocationId.textValue(),
            target.textValue(), arguments == null ? 0 : arguments.size());
    }

    private static Invocation parseMessagePackInvocation(byte[] body) {
        try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(body)) {
            final int length = unpacker.unpackArrayHeader();
            if (length < 5) {
                throw new IllegalArgumentException("array of " + length + " (expected: an invocation of at least 5)");
            }
            final int type = unpacker.unpackInt();
            if (type != INVOCATION) {
                throw new IllegalArgumentException("type: " + type + " (expected: " + INVOCATION + ")");
            }
            unpacker.skipValue();
            final String invocationId;
            if (unpacker.getNextFormat() == MessageFormat.NIL) {
                unpacker.unpackNil();
                invocationId = null;
            } else {
                invocationId = unpacker.unpackString();
            }
            final String target = unpacker.unpackString();
            final int argumentCount = unpacker.unpackArrayHeader();
            return new Invocation(invocationId, target, argumentCount);
        } catch (IOException | MessagePackException e) {
            throw new IllegalArgumentException("body: not a MessagePack invocation (" + e.getMessage() + ")", e);
        }
    }

    /** The 7-bit groups, least significant first, that the hub protocol's binary framing uses. */
    static void writeVarInt(ByteArrayOutputStream out, int value) {
        int rest = value;
        while ((rest & ~0x7F) != 0) {
            out.write((rest & 0x7F) | 0x80);
            rest >>>= 7;
        }
        out.write(rest);
    }

    private static byte[] writeJson(JsonNode message) {
        try {
            return JSON.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serializes", e);
        }
    }

    private static void pack(MessagePacker packer, Object value) throws IOException {
        if (value == null) {
            packer.packNil();
        } else if (value instanceof String s) {
            packer.packString(s);
        } else if (value instanceof Boolean b) {
            packer.packBoolean(b);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            packer.packLong(((Number) value).longValue());
        } else if (value instanceof BigInteger big) {
            packer.packBigInteger(big);
        } else if (value instanceof Float f) {
            packer.packFloat(f);
        } else if (value instanceof Double d) {
            packer.packDouble(d);
        } else if (value instanceof byte[] bytes) {
            packer.packBinaryHeader(bytes.length).writePayload(bytes);
        } else if (value instanceof Collection<?> items) {
            packer.packArrayHeader(items.size());
            for (Object item : items) {
                pack(packer, item);
            }
        } else if (value instanceof Object[] items) {
            packer.packArrayHeader(items.length);
            for (Object item : items) {
                pack(packer, item);
            }
        } else if (value instanceof Map<?, ?> map) {
            packer.packMapHeader(map.size());
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                pack(packer, entry.getKey());
                pack(packer, entry.getValue());
            }
        } else {
            throw new IllegalArgumentException("argument: " + value.getClass().getName()
                + " (expected: null, String, Boolean, a whole or floating number, byte[], a Collection, an array or a Map)");
        }
    }
}
