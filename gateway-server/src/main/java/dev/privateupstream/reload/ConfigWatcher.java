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
import dev.privateupstream.store.EndpointStore;
import dev.privateupstream.store.FileEndpointStore;
import dev.privateupstream.store.WatchedFile;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies hand edits of {@code gateway.yaml} (SPEC §4 reload): each poll looks at the file; a change is
 * loaded and validated, then put in force as one snapshot swap, or logged with every error
 * ({@code FILE:LINE: key.path: message}) and ignored, the last good configuration staying in force. Then
 * the endpoint store takes in its own changes ({@link EndpointStore#poll}).
 *
 * <p>With the file store, a change of {@code gateway.yaml} reloads the endpoints file too (it may name
 * another one); with etcd the endpoints in force are kept and checked against the new upstreams. Where
 * the endpoints live, how to reach etcd, and {@code tracing}, apply at the next start only. Increments
 * {@code gateway_config_reloads_total{result}} once per change seen (not for the first load).
 *
 * <p>Not thread-safe: runs only on the configuration thread of {@link LiveConfig}.
 */
final class ConfigWatcher {
    private static final Logger logger = LoggerFactory.getLogger(ConfigWatcher.class);

    private final PolicyRef policy;
    private final ConfigLoader loader;
    private final GatewayMetrics metrics;
    private final EndpointStore store;
    private final WatchedFile gatewayFile;

    ConfigWatcher(PolicyRef policy, ConfigLoader loader, GatewayMetrics metrics, EndpointStore store) {
        this.policy = requireNonNull(policy, "policy");
        this.loader = requireNonNull(loader, "loader");
        this.metrics = requireNonNull(metrics, "metrics");
        this.store = requireNonNull(store, "store");
        gatewayFile = new WatchedFile(policy.get().config().file());
        gatewayFile.acknowledge();
    }

    /** Looks at gateway.yaml once and applies or rejects what changed, then lets the store do the same. */
    void poll() throws InterruptedException {
        if (!gatewayFile.changed()) {
            store.poll();
            return;
        }
        if (store instanceof FileEndpointStore file) {
            // gateway.yaml may name another endpoints file, and its upstreams decide what the endpoints may
            // point at: load both together. When it is broken, an edit of the endpoints file made at the
            // same time still gets its chance against the upstreams in force.
            final boolean endpointsChanged = file.changed();
            if (!reloadAll() && endpointsChanged) {
                file.reload();
            }
            return;
        }
        reloadAll();
        store.poll();
    }

    /** Loads gateway.yaml (and the endpoints file); whether the result was applied. */
    private boolean reloadAll() {
        final GatewayConfig current = policy.get().config();
        GatewayConfig next;
        try {
            next = loader.load(gatewayFile.path());
        } catch (ConfigException e) {
            rejected(e.errors());
            return false;
        }
        warnAboutRestartOnlySettings(current, next);
        if (current.etcd() != null || next.etcd() != null) {
            // The store stays the one this process started with; its endpoints must fit the new upstreams.
            final List<ConfigError> errors = ConfigLoader.validateEndpoints(current.endpoints(), next.upstreams(),
                    next.file());
            if (!errors.isEmpty()) {
                rejected(errors);
                return false;
            }
            next = new GatewayConfig(next.file(), next.listen(), next.limits(), next.admin(), next.signalr(),
                    next.webpubsub(), next.upstreams(), current.endpointsFile(), current.etcd(), current.endpoints(),
                    next.tracing());
        } else if (store instanceof FileEndpointStore file) {
            file.follow(next.endpointsFile());
        }
        final PolicySnapshot snapshot = policy.reconfigure(next);
        metrics.reload(true);
        logger.info("configuration change in {} applied (generation {}, {} upstreams, {} endpoints)",
                gatewayFile.path(), snapshot.generation(), next.upstreams().size(), next.endpoints().size());
        return true;
    }

    private void rejected(List<ConfigError> errors) {
        metrics.reload(false);
        logger.warn("configuration change rejected, the last good configuration stays in force "
                + "(generation {}); fix the {} error(s) below, each at its file, line and key:\n{}",
                policy.get().generation(), errors.size(),
                errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
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
        // The SDK and its exporter are built once (GatewayServer), and pipelines only add its handlers.
        restartOnly("tracing", current.tracing(), next.tracing());
        if (current.etcd() != null || next.etcd() != null) {
            restartOnly("sharedPrivateEndpoints", current.endpointStoreName(), next.endpointStoreName());
            restartOnly("sharedPrivateEndpoints.etcd", current.etcd(), next.etcd());
        }
    }

    private static void restartOnly(String key, Object was, Object now) {
        if (!Objects.equals(was, now)) {
            logger.warn("{} changed from {} to {}: it applies at the next start; the gateway keeps "
                    + "what it started with until it is restarted", key, was, now);
        }
    }
}
