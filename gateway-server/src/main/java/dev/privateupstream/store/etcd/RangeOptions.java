package dev.privateupstream.store.etcd;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How {@link EtcdClient#range} reads: start from {@link #linearizable()} and change what differs.
 *
 * @param serializable answer from the member's local state without asking the leader: works without a quorum,
 *        but may be stale
 * @param limit at most this many keys; 0 for no limit ({@link RangeResponse#more()} says whether more exist)
 * @param keysOnly leave the values out
 * @param revision read the store as of this revision; 0 for the latest
 * @param sortTarget sort by this; {@code null} for etcd's default order (by key, ascending)
 * @param descending with a {@code sortTarget}: descending instead of ascending
 */
public record RangeOptions(boolean serializable, long limit, boolean keysOnly, long revision, SortTarget sortTarget,
        boolean descending) {
    private static final RangeOptions LINEARIZABLE = new RangeOptions(false, 0, false, 0, null, false);

    /** What a range can be sorted by. */
    public enum SortTarget { KEY, VERSION, CREATE, MOD, VALUE }

    public RangeOptions {
        if (limit < 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 0)");
        }
        if (revision < 0) {
            throw new IllegalArgumentException("revision: " + revision + " (expected: >= 0)");
        }
    }

    /** The latest data, confirmed with the leader: every key, with values, in key order. */
    public static RangeOptions linearizable() {
        return LINEARIZABLE;
    }

    /** These options, read from the member's local state ({@link #serializable()}). */
    public RangeOptions asSerializable() {
        return new RangeOptions(true, limit, keysOnly, revision, sortTarget, descending);
    }

    public RangeOptions withLimit(long limit) {
        return new RangeOptions(serializable, limit, keysOnly, revision, sortTarget, descending);
    }

    public RangeOptions withKeysOnly() {
        return new RangeOptions(serializable, limit, true, revision, sortTarget, descending);
    }

    public RangeOptions atRevision(long revision) {
        return new RangeOptions(serializable, limit, keysOnly, revision, sortTarget, descending);
    }

    public RangeOptions sortedBy(SortTarget target, boolean descending) {
        return new RangeOptions(serializable, limit, keysOnly, revision, target, descending);
    }

    /** Adds these options to a {@code RangeRequest} body. */
    void addTo(ObjectNode request) {
        GatewayJson.putInt64(request, "limit", limit);
        GatewayJson.putInt64(request, "revision", revision);
        if (serializable) {
            request.put("serializable", true);
        }
        if (keysOnly) {
            request.put("keys_only", true);
        }
        if (sortTarget != null) {
            request.put("sort_order", descending ? "DESCEND" : "ASCEND");
            request.put("sort_target", sortTarget.name());
        }
    }
}
