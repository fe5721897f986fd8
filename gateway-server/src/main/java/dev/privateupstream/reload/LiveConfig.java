package dev.privateupstream.reload;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.metrics.GatewayMetrics;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the configuration in force live (SPEC §4 reload, §7): watches both files and applies the admin
 * API's endpoint changes, all on one thread of its own.
 *
 * <p>One thread, because every change is a read-modify-write of the same configuration: run one after the
 * other, an API change always builds on the latest file, two API calls cannot lose each other's update, and
 * the watcher knows the gateway's own writes for what they are. YAML parsing, file reads, writes and fsync
 * all happen here, never on an event loop.
 */
public final class LiveConfig implements AutoCloseable {
    /** How often both files are looked at: well within the 2 seconds SPEC §4 allows. */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    private static final Logger logger = LoggerFactory.getLogger(LiveConfig.class);

    private final ScheduledExecutorService thread;
    private final ConfigWatcher watcher;
    private final EndpointEditor editor;

    private LiveConfig(PolicyRef policy, ConfigLoader loader, GatewayMetrics metrics) {
        watcher = new ConfigWatcher(policy, loader, metrics);
        editor = new EndpointEditor(policy, watcher, metrics);
        thread = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("gateway-config", true));
    }

    /**
     * Starts watching the files of the configuration in force.
     *
     * @param loader the loader of the first load, so that reloads see the same environment
     */
    public static LiveConfig start(PolicyRef policy, ConfigLoader loader, GatewayMetrics metrics) {
        final LiveConfig live = new LiveConfig(requireNonNull(policy, "policy"), requireNonNull(loader, "loader"),
                requireNonNull(metrics, "metrics"));
        live.thread.scheduleWithFixedDelay(live::poll, POLL_INTERVAL.toMillis(), POLL_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
        return live;
    }

    private void poll() {
        try {
            watcher.poll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // A failed poll must not cancel the schedule: the next one may well succeed.
            logger.error("configuration watch failed; trying again at the next poll", e);
        }
    }

    /**
     * Queues an endpoint change; the future completes once it is written and in force, with the outcome,
     * or exceptionally with the {@link java.io.IOException} that kept it from being written (a
     * {@link dev.privateupstream.config.ReadOnlyEndpointsFileException} for a read-only file).
     */
    public CompletableFuture<EditOutcome> edit(EndpointChange change) {
        requireNonNull(change, "change");
        final CompletableFuture<EditOutcome> result = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    result.complete(editor.apply(change));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    result.completeExceptionally(e);
                } catch (Exception e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the gateway is stopping", e));
        }
        return result;
    }

    /** Stops watching; a change in progress finishes first, so the endpoints file is never left half-done. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
