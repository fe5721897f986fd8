package dev.privateupstream.reload;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.AdminConfig;
import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.PolicySnapshot;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies hand edits of {@code gateway.yaml} and of the endpoints file (SPEC §4 reload): each poll looks at
 * both files; a change is loaded and validated, then put in force as one snapshot swap, or logged with every
 * error ({@code FILE:LINE: key.path: message}) and ignored, the last good configuration staying in force.
 *
 * <p>A change of {@code gateway.yaml} reloads both files; a change of the endpoints file alone is checked
 * against the upstreams in force. Increments {@code gateway_config_reloads_total{result}} once per change
 * seen (not for the first load, nor for the gateway's own writes, which {@link #acknowledgeEndpoints}
 * takes as known).
 *
 * <p>Not thread-safe: runs only on the configuration thread of {@link LiveConfig}.
 */
final class ConfigWatcher {
    private static final Logger logger = LoggerFactory.getLogger(ConfigWatcher.class);

    private final PolicyRef policy;
    private final ConfigLoader loader;
    private final GatewayMetrics metrics;
    private final WatchedFile gatewayFile;
    private WatchedFile endpointsFile;

    ConfigWatcher(PolicyRef policy, ConfigLoader loader, GatewayMetrics metrics) {
        this.policy = requireNonNull(policy, "policy");
        this.loader = requireNonNull(loader, "loader");
        this.metrics = requireNonNull(metrics, "metrics");
        final GatewayConfig config = policy.get().config();
        gatewayFile = new WatchedFile(config.file());
        endpointsFile = new WatchedFile(config.endpointsFile());
        gatewayFile.acknowledge();
        endpointsFile.acknowledge();
    }

    /** Looks at both files once, and applies or rejects what changed. */
    void poll() throws InterruptedException {
        final boolean gatewayChanged = gatewayFile.changed();
        final boolean endpointsChanged = endpointsFile.changed();
        if (gatewayChanged) {
            // gateway.yaml may name another endpoints file, and its upstreams decide what the endpoints may
            // point at: load both together. When it is broken, an edit of the endpoints file made at the
            // same time still gets its chance against the upstreams in force.
            if (!reloadAll() && endpointsChanged) {
                reloadEndpoints();
            }
        } else if (endpointsChanged) {
            reloadEndpoints();
        }
    }

    /** Takes the endpoints file as it is now as known: the gateway itself just wrote it. */
    void acknowledgeEndpoints() {
        endpointsFile.acknowledge();
    }

    /** Loads both files; whether the result was applied. */
    private boolean reloadAll() {
        final GatewayConfig current = policy.get().config();
        final GatewayConfig next;
        try {
            next = loader.load(gatewayFile.path());
        } catch (ConfigException e) {
            rejected(e);
            return false;
        }
        warnAboutRestartOnlySettings(current, next);
        if (!next.endpointsFile().equals(endpointsFile.path())) {
            logger.info("now watching the endpoints file {} (was {})", next.endpointsFile(), endpointsFile.path());
            endpointsFile = new WatchedFile(next.endpointsFile());
            endpointsFile.acknowledge();
        }
        applied(next, gatewayFile.path().toString());
        return true;
    }

    private void reloadEndpoints() {
        final GatewayConfig next;
        try {
            next = loader.reloadEndpoints(policy.get().config());
        } catch (ConfigException e) {
            rejected(e);
            return;
        }
        applied(next, endpointsFile.path().toString());
    }

    private void applied(GatewayConfig next, String what) {
        final PolicySnapshot snapshot = policy.swap(next);
        metrics.reload(true);
        logger.info("configuration change in {} applied (generation {}, {} upstreams, {} endpoints)", what,
                snapshot.generation(), next.upstreams().size(), next.endpoints().size());
    }

    private void rejected(ConfigException e) {
        metrics.reload(false);
        logger.warn("configuration change rejected, the last good configuration stays in force "
                + "(generation {}); {} error(s):\n{}", policy.get().generation(), e.errors().size(),
                e.errors().stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
    }

    /** SPEC §4: listener addresses and ports apply at the next start only; say so rather than ignore them. */
    private static void warnAboutRestartOnlySettings(GatewayConfig current, GatewayConfig next) {
        final ListenConfig was = current.listen();
        final ListenConfig now = next.listen();
        restartOnly("listen.address", was.address(), now.address());
        restartOnly("listen.port", was.port(), now.port());
        final AdminConfig adminWas = current.admin();
        final AdminConfig adminNow = next.admin();
        restartOnly("admin.address", adminWas.address(), adminNow.address());
        restartOnly("admin.port", adminWas.port(), adminNow.port());
    }

    private static void restartOnly(String key, Object was, Object now) {
        if (!Objects.equals(was, now)) {
            logger.warn("{} changed from {} to {}: it applies at the next start; the gateway keeps listening where "
                    + "it is", key, was, now);
        }
    }
}
