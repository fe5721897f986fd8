package dev.privateupstream.reload;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.store.EditOutcome;
import dev.privateupstream.store.EndpointChange;
import dev.privateupstream.store.EndpointStore;
import dev.privateupstream.store.FileEndpointStore;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the configuration in force live (SPEC §4 reload, §7, §10): watches {@code gateway.yaml}, follows the
 * endpoint store and applies the admin API's endpoint changes, all on one thread of its own.
 *
 * <p>One thread, because every change is a read-modify-write of the same configuration: run one after the
 * other, an API change always builds on the newest set, two API calls cannot lose each other's update, and
 * the store knows the gateway's own writes for what they are. YAML parsing, file reads, writes, fsync and
 * the etcd store's requests all happen here, never on an event loop.
 */
public final class LiveConfig implements AutoCloseable {
    /** How often both files are looked at without an event: well within the 2 seconds SPEC §4 allows. */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    private static final Logger logger = LoggerFactory.getLogger(LiveConfig.class);
    /**
     * With the endpoints file, a change applied this soon after the one before waits for the next poll past
     * it: a storm of writes (a tool rewriting the file in a loop) is taken in steps of the newest content
     * rather than one reload per write, each of which costs a 100,000-endpoint gateway a core for a third of
     * a second and its garbage (Traefik's providersThrottleDuration does the same). A lone change still
     * applies at once; SPEC §4's two seconds hold. Not for etcd, whose changes must apply within 1 s (§10).
     */
    private static final long FILE_CHANGE_SPACING_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ScheduledExecutorService thread;
    private final ConfigWatcher watcher;
    private final EndpointStore store;
    private final PolicyRef policy;
    /** When a poll last put a change in force; touched only on the configuration thread. */
    private long lastChangeNanos = System.nanoTime() - FILE_CHANGE_SPACING_NANOS;
    /** Wakes the thread at a file's change; {@code null} when the host has no file events (polls alone). */
    private volatile FileEvents events;
    /** Set while a poll asked for by the store is queued, so a burst of store changes makes one poll. */
    private final AtomicBoolean wakeQueued = new AtomicBoolean();

    private LiveConfig(PolicyRef policy, ConfigLoader loader, GatewayMetrics metrics, EndpointStore store) {
        this.store = store;
        this.policy = policy;
        watcher = new ConfigWatcher(policy, loader, metrics, store);
        thread = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("gateway-config", true));
    }

    /**
     * Starts watching the configuration in force and following its endpoint store.
     *
     * @param loader the loader of the first load, so that reloads see the same environment
     * @param store where the endpoints live; closed with this
     */
    public static LiveConfig start(PolicyRef policy, ConfigLoader loader, GatewayMetrics metrics,
            EndpointStore store) {
        final LiveConfig live = new LiveConfig(requireNonNull(policy, "policy"), requireNonNull(loader, "loader"),
                requireNonNull(metrics, "metrics"), requireNonNull(store, "store"));
        store.start(new SnapshotSink(policy, metrics), live::wake);
        live.events = FileEvents.start(live::wake);
        live.watchFiles();
        live.thread.scheduleWithFixedDelay(live::poll, POLL_INTERVAL.toMillis(), POLL_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
        return live;
    }

    /** The files to be woken for: gateway.yaml names the endpoints file, so both may move at a reload. */
    private void watchFiles() {
        final FileEvents watching = events;
        if (watching != null) {
            watching.watch(policy.get().config().file());
            if (store instanceof FileEndpointStore file) {
                watching.watch(file.path());
            }
        }
    }

    /** The store or a file event asks for a poll now: a change arrived on another thread. */
    private void wake() {
        if (wakeQueued.compareAndSet(false, true)) {
            try {
                thread.execute(() -> {
                    wakeQueued.set(false);
                    poll();
                });
            } catch (RejectedExecutionException e) {
                wakeQueued.set(false); // stopping
            }
        }
    }

    /** Where the endpoints live. */
    public EndpointStore store() {
        return store;
    }

    private void poll() {
        final long now = System.nanoTime();
        if (store instanceof FileEndpointStore && now - lastChangeNanos < FILE_CHANGE_SPACING_NANOS) {
            return; // the schedule's next poll past the spacing takes what came meanwhile
        }
        try {
            final PolicySnapshot before = policy.get();
            watcher.poll();
            if (policy.get() != before) {
                lastChangeNanos = System.nanoTime();
            }
            watchFiles();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // A failed poll must not cancel the schedule: the next one may well succeed.
            logger.error("configuration watch failed; trying again at the next poll; check that the configuration "
                    + "and endpoints files are readable by the gateway", e);
        }
    }

    /**
     * Queues an endpoint change; the future completes once it is stored and in force, with the outcome,
     * or exceptionally with what kept it from being stored: an {@link java.io.IOException} (a
     * {@link dev.privateupstream.config.ReadOnlyEndpointsFileException} for a read-only file), a
     * {@link dev.privateupstream.store.StoreUnavailableException} or a
     * {@link dev.privateupstream.store.StoreConflictException}.
     */
    public CompletableFuture<EditOutcome> edit(EndpointChange change) {
        requireNonNull(change, "change");
        final CompletableFuture<EditOutcome> result = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    result.complete(store.edit(change));
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

    /**
     * Stops watching; a change in progress finishes first, so the endpoints file is never left half-done,
     * then the store is closed.
     */
    @Override
    public void close() {
        final FileEvents watching = events;
        if (watching != null) {
            watching.close();
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
        store.close();
    }
}
