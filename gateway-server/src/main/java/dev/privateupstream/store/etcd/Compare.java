package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One condition of a {@link EtcdClient#txn transaction}: {@code target(key) result number} (or {@code value}).
 *
 * <p>With a {@code rangeEnd}, the condition must hold for every key in {@code [key, rangeEnd)}, and a range
 * holding no key compares as one absent key (all numbers 0; a VALUE comparison fails). So
 * {@code modRevision(prefix, prefixEnd(prefix), LESS, r + 1)} holds exactly when nothing under the prefix
 * changed after revision {@code r}, deletions aside (a deleted key leaves nothing to compare).
 *
 * @param rangeEnd {@code null} for the single key
 * @param number the version or revision compared against; unused for VALUE
 * @param value the value compared against; {@code null} unless the target is VALUE
 */
public record Compare(byte[] key, byte[] rangeEnd, Target target, Result result, long number, byte[] value) {
    /** What of a key is compared. */
    public enum Target {
        /** How many times the key was put since it was created; 0 when absent. */
        VERSION,
        /** The revision of the put that created the key; 0 when absent. */
        CREATE,
        /** The revision of the key's last change; 0 when absent. */
        MOD,
        /** The value's bytes. */
        VALUE
    }

    /** How the key's side relates to the given number or value. */
    public enum Result { EQUAL, GREATER, LESS, NOT_EQUAL }

    public Compare {
        requireNonNull(key, "key");
        requireNonNull(target, "target");
        requireNonNull(result, "result");
        if (target == Target.VALUE) {
            requireNonNull(value, "value");
        } else if (value != null) {
            throw new IllegalArgumentException("value given for a " + target + " comparison (expected: null)");
        }
    }

    public static Compare version(byte[] key, Result result, long version) {
        return new Compare(key, null, Target.VERSION, result, version, null);
    }

    public static Compare version(byte[] key, byte[] rangeEnd, Result result, long version) {
        return new Compare(key, rangeEnd, Target.VERSION, result, version, null);
    }

    public static Compare createRevision(byte[] key, Result result, long revision) {
        return new Compare(key, null, Target.CREATE, result, revision, null);
    }

    public static Compare createRevision(byte[] key, byte[] rangeEnd, Result result, long revision) {
        return new Compare(key, rangeEnd, Target.CREATE, result, revision, null);
    }

    public static Compare modRevision(byte[] key, Result result, long revision) {
        return new Compare(key, null, Target.MOD, result, revision, null);
    }

    public static Compare modRevision(byte[] key, byte[] rangeEnd, Result result, long revision) {
        return new Compare(key, rangeEnd, Target.MOD, result, revision, null);
    }

    public static Compare value(byte[] key, Result result, byte[] value) {
        return new Compare(key, null, Target.VALUE, result, 0, value);
    }

    /** The key does not exist: its create revision is 0. */
    public static Compare absent(byte[] key) {
        return createRevision(key, Result.EQUAL, 0);
    }

    /**
     * An {@code etcdserverpb.Compare} as the gateway reads it. Unlike answers, requests spell out every field
     * (EQUAL and VERSION are proto3 defaults, and a 0 is a real comparison), which the gateway accepts.
     */
    ObjectNode toJson() {
        final ObjectNode node = GatewayJson.object();
        GatewayJson.putBytes(node, "key", key);
        GatewayJson.putBytes(node, "range_end", rangeEnd);
        node.put("target", target.name());
        node.put("result", result.name());
        switch (target) {
            case VERSION -> node.put("version", Long.toString(number));
            case CREATE -> node.put("create_revision", Long.toString(number));
            case MOD -> node.put("mod_revision", Long.toString(number));
            case VALUE -> GatewayJson.putBytes(node, "value", value);
        }
        return node;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Compare other && Arrays.equals(key, other.key) && Arrays.equals(rangeEnd, other.rangeEnd)
               && target == other.target && result == other.result && number == other.number
               && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key) * 31 + target.hashCode() * 7 + result.hashCode() + Long.hashCode(number);
    }

    @Override
    public String toString() {
        return target + "(" + text(key) + (rangeEnd == null ? "" : ".." + text(rangeEnd)) + ") " + result + ' '
               + (target == Target.VALUE ? text(value) : Long.toString(number));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
