package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One key as etcd stores it: its value and the revisions that describe its history. A deleted key (in a
 * {@link WatchEvent} of type DELETE) has an empty value and only its key and {@code modRevision} set.
 *
 * <p>The arrays are not copied, for the sake of large reads: treat them as read-only.
 *
 * @param createRevision the revision of the put that created the key (since its last deletion)
 * @param modRevision the revision of the last change to the key
 * @param version how many times the key was put since it was created
 * @param lease the lease the key is attached to; 0 for none
 */
public record KeyValue(byte[] key, byte[] value, long createRevision, long modRevision, long version, long lease) {
    public KeyValue {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
    }

    /** A {@code mvccpb.KeyValue} as the gateway writes it. */
    static KeyValue fromJson(JsonNode kv) {
        return new KeyValue(GatewayJson.bytes(kv, "key"), GatewayJson.bytes(kv, "value"),
                GatewayJson.int64(kv, "create_revision"), GatewayJson.int64(kv, "mod_revision"),
                GatewayJson.int64(kv, "version"), GatewayJson.int64(kv, "lease"));
    }

    /** The key as UTF-8 text. */
    public String keyText() {
        return new String(key, StandardCharsets.UTF_8);
    }

    /** The value as UTF-8 text. */
    public String valueText() {
        return new String(value, StandardCharsets.UTF_8);
    }

    // Arrays compare by content: two reads of the same key at the same revision are equal.
    @Override
    public boolean equals(Object o) {
        return o instanceof KeyValue other && Arrays.equals(key, other.key) && Arrays.equals(value, other.value)
               && createRevision == other.createRevision && modRevision == other.modRevision
               && version == other.version && lease == other.lease;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(key) + Long.hashCode(modRevision);
    }

    @Override
    public String toString() {
        return "KeyValue[" + keyText() + '=' + valueText() + ", create=" + createRevision + ", mod=" + modRevision
               + ", version=" + version + (lease == 0 ? "" : ", lease=" + lease) + ']';
    }
}
