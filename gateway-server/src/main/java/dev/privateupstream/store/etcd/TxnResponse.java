package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What a transaction did.
 *
 * @param succeeded whether every comparison held, so the success branch ran (else the failure branch did)
 * @param revision the store's revision after the transaction (unchanged when the branch that ran wrote
 *        nothing)
 * @param ranges the answer of each {@link Op.Range} in the branch that ran, in order
 */
public record TxnResponse(boolean succeeded, long revision, List<RangeResponse> ranges) {
    public TxnResponse {
        ranges = List.copyOf(requireNonNull(ranges, "ranges"));
    }

    /**
     * A {@code TxnResponse} as the gateway writes it: a failed transaction has no {@code succeeded} field at all
     * (false is the proto3 default), and each element of {@code responses} holds one of
     * {@code response_range}, {@code response_put}, {@code response_delete_range} or {@code response_txn}.
     */
    static TxnResponse fromJson(JsonNode answer) {
        final long revision = GatewayJson.headerRevision(answer);
        final List<RangeResponse> ranges = new ArrayList<>();
        for (JsonNode response : answer.path("responses")) {
            final JsonNode range = response.get("response_range");
            if (range != null) {
                ranges.add(RangeResponse.fromJson(range, revision));
            }
        }
        return new TxnResponse(GatewayJson.bool(answer, "succeeded"), revision, ranges);
    }
}
