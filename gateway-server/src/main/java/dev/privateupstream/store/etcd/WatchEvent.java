package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One change a watch saw. The revision it happened at is {@code kv().modRevision()}.
 *
 * @param kv after a PUT, the key as written; after a DELETE, the key with only its key and
 *        {@code modRevision} (the deletion's revision) set
 */
public record WatchEvent(Type type, KeyValue kv) {
    /** What happened to the key. */
    public enum Type { PUT, DELETE }

    public WatchEvent {
        requireNonNull(type, "type");
        requireNonNull(kv, "kv");
    }

    /** An {@code mvccpb.Event} as the gateway writes it: a PUT event has no {@code type} (the proto3 default). */
    static WatchEvent fromJson(JsonNode event) {
        final Type type = "DELETE".equals(event.path("type").asText("PUT")) ? Type.DELETE : Type.PUT;
        return new WatchEvent(type, KeyValue.fromJson(event.path("kv")));
    }
}
