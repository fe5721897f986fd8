package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What a range read found.
 *
 * @param revision the store's revision the read saw (the header revision; for a read at an older revision,
 *        see {@link EtcdClient#rangeAll})
 * @param kvs the keys found, at most the limit
 * @param count how many keys the range holds in all (more than {@code kvs.size()} when limited)
 * @param more whether keys were left out because of the limit
 */
public record RangeResponse(long revision, List<KeyValue> kvs, long count, boolean more) {
    public RangeResponse {
        kvs = List.copyOf(requireNonNull(kvs, "kvs"));
    }

    /**
     * A {@code RangeResponse} as the gateway writes it; {@code fallbackRevision} when it has no header revision
     * (the ranges inside a txn answer carry none of their own).
     */
    static RangeResponse fromJson(JsonNode answer, long fallbackRevision) {
        final JsonNode kvs = answer.path("kvs");
        final List<KeyValue> list = new ArrayList<>(kvs.size());
        for (JsonNode kv : kvs) {
            list.add(KeyValue.fromJson(kv));
        }
        final long revision = GatewayJson.headerRevision(answer);
        return new RangeResponse(revision != 0 ? revision : fallbackRevision, list, GatewayJson.int64(answer, "count"),
                GatewayJson.bool(answer, "more"));
    }
}
