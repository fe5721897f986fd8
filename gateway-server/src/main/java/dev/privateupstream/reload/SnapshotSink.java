package dev.privateupstream.reload;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.store.EndpointSink;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a store's sets in force: one snapshot swap per set, counted in
 * {@code gateway_config_reloads_total{result}} and logged.
 */
final class SnapshotSink implements EndpointSink {
    private static final Logger logger = LoggerFactory.getLogger(SnapshotSink.class);

    private final PolicyRef policy;
    private final GatewayMetrics metrics;

    SnapshotSink(PolicyRef policy, GatewayMetrics metrics) {
        this.policy = requireNonNull(policy, "policy");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public GatewayConfig current() {
        return policy.get().config();
    }

    @Override
    public void apply(List<SharedPrivateEndpoint> endpoints, long revision, String what,
            List<SharedPrivateEndpoint> changed) {
        final PolicySnapshot snapshot = changed == null ? policy.swap(current().withEndpoints(endpoints))
                : policy.swapChanged(current().withEndpoints(endpoints), changed);
        metrics.reload(true);
        metrics.storeRevision(revision);
        logger.info("endpoints change from {} applied (generation {}, revision {}, {} endpoints)", what,
                snapshot.generation(), revision, endpoints.size());
    }

    @Override
    public void reject(String what, List<ConfigError> errors) {
        metrics.reload(false);
        logger.warn("endpoints change from {} rejected, the last good set stays in force (generation {}); fix "
                + "the {} error(s) below, each at its file, line and key:\n{}", what, policy.get().generation(),
                errors.size(),
                errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
    }

    @Override
    public void refused() {
        metrics.reload(false);
    }
}
