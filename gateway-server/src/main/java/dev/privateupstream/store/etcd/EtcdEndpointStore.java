package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.EndpointsFile;
import dev.privateupstream.config.EtcdConfig;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.store.AuditRecord;
import dev.privateupstream.store.EditOutcome;
import dev.privateupstream.store.EndpointChange;
import dev.privateupstream.store.EndpointResource;
import dev.privateupstream.store.EndpointSet;
import dev.privateupstream.store.EndpointSink;
import dev.privateupstream.store.EndpointStore;
import dev.privateupstream.store.Replica;
import dev.privateupstream.store.ReplicaView;
import dev.privateupstream.store.StoreConflictException;
import dev.privateupstream.store.StoreUnavailableException;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints in an etcd v3 cluster that every replica shares (SPEC §10): one key per endpoint under
 * {@code PREFIX + "endpoints/"}, holding the RESOURCE JSON of SPEC §7.
 *
 * <p>Start: one linearizable read of the whole prefix at revision R, then a watch from R + 1. The watch
 * runs on the client's event loop and only queues what it receives; the configuration thread drains the
 * queue in {@link #poll}, so a burst of revisions becomes one validation and one snapshot swap, applied in
 * revision order. A set that breaks the rules is kept out and the last good one stays in force.
 *
 * <p>Writes are compare-and-swap transactions: committed only if the guard key
 * {@code PREFIX + "endpoints-changed"}, which every gateway write and import also sets, and the keys the
 * change was validated against (its own, those of the endpoints it could clash with) did not change after
 * the revision the change was computed from. On a conflict the newer set is taken from the watch (or read
 * whole) and the change recomputed, 5 times at most. When the store has no quorum, decisions go on with
 * the set in force (fail static) and writes fail within {@code timeout}.
 *
 * <p>A lost watch resumes from the last applied revision; when that revision has been compacted away, the
 * whole set is read again ({@code gateway_store_resyncs_total}). {@code cacheFile}, when set, is rewritten
 * after each applied set so that a replica can start while the store is down.
 */
public final class EtcdEndpointStore implements EndpointStore {
    private static final Logger logger = LoggerFactory.getLogger(EtcdEndpointStore.class);
    /** SPEC §10: after 5 conflicts the API answers 409. */
    static final int MAX_ATTEMPTS = 5;
    /** A range page: big enough to read 100,000 endpoints in 100 requests, small enough for etcd's limits. */
    static final int PAGE_SIZE = 1000;
    static final long HEALTH_EVERY_MILLIS = 2000;
    static final long RETRY_MILLIS = 1000;
    static final long CACHE_DELAY_MILLIS = 200;
    /** A guard on a whole paged read, whose every page has the store's timeout: never reached in practice. */
    static final Duration WHOLE_READ_LIMIT = Duration.ofMinutes(10);

    private final EtcdConfig config;
    private final EtcdClient client;
    private final GatewayMetrics metrics;
    private final ConfigLoader loader;
    private final byte[] endpointsKey;
    private final byte[] endpointsEnd;
    private final byte[] guardKey;
    private final ScheduledExecutorService timer;
    private final Queue<Inbox> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicReference<List<SharedPrivateEndpoint>> pendingCache = new AtomicReference<>();
    private final StoredSet stored;
    private final ReplicaRegistry registry;
    private final AtomicLong auditSequence = new AtomicLong();
    private volatile EndpointSink sink;
    private volatile Runnable wake = () -> { };
    private volatile EtcdWatch watch;
    private volatile boolean closed;

    private EtcdEndpointStore(EtcdConfig config, ConfigLoader loader, GatewayMetrics metrics) {
        this.config = requireNonNull(config, "config");
        this.loader = requireNonNull(loader, "loader");
        this.metrics = metrics;
        client = EtcdClient.create(new EtcdClientSettings(config.endpoints(), config.username(), config.password(),
                config.tls() == null ? null : config.tls().caFile(),
                config.tls() == null ? null : config.tls().certificate(),
                config.tls() == null ? null : config.tls().privateKey(), config.timeout()));
        endpointsKey = bytes(config.endpointsPrefix());
        endpointsEnd = EtcdClient.prefixEnd(endpointsKey);
        guardKey = bytes(config.prefix() + "endpoints-changed");
        stored = new StoredSet(config.endpointsPrefix());
        timer = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("gateway-store", true));
        registry = new ReplicaRegistry(client, config, timer);
    }

    /**
     * A store over the cluster {@code config} names; connects lazily.
     *
     * @param metrics where {@code gateway_store_*} go; {@code null} for a command that only reads or writes once
     */
    public static EtcdEndpointStore open(EtcdConfig config, ConfigLoader loader, GatewayMetrics metrics) {
        return new EtcdEndpointStore(config, loader, metrics);
    }

    @Override
    public String describe() {
        return "etcd " + config.endpointsPrefix() + " at " + config.endpoints();
    }

    // ---- reads without a running gateway, and the first read of one --------------------------------------

    @Override
    public EndpointSet read(List<UpstreamConfig> upstreams) throws ConfigException, StoreUnavailableException {
        final Snapshot snapshot = readWhole();
        final StoredSet set = new StoredSet(config.endpointsPrefix());
        set.reset(snapshot);
        final List<ConfigError> errors = set.errors(upstreams);
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return new EndpointSet(set.endpoints(), set.changeRevision());
    }

    /**
     * The set to start with (SPEC §10 start): the store's, read once and validated; else, when the store
     * does not answer in time or holds an invalid set, the {@code cacheFile}'s; else {@code null}, and the
     * gateway starts without a set ({@code /readyz} 503, calls 503 {@code store-unavailable}) until the
     * store answers. Whatever is returned, {@link #start} follows the store from there.
     */
    public EndpointSet startingSet(List<UpstreamConfig> upstreams) {
        final Path cache = config.cacheFile();
        if (cache != null && !Files.isWritable(cache.toAbsolutePath().getParent())) {
            logger.warn("the cache file's folder {} does not exist or is not writable: the set in force cannot be "
                    + "kept there for a start without the store (create it, or mount a writable volume there)",
                    cache.toAbsolutePath().getParent());
        }
        String problem;
        try {
            final Snapshot snapshot = readWhole();
            stored.reset(snapshot);
            final List<ConfigError> errors = stored.errors(upstreams);
            if (errors.isEmpty()) {
                logger.info("endpoints read from {} at revision {}: {} endpoints", describe(), snapshot.revision(),
                        stored.size());
                stored.markInForce();
                writeCache(stored.endpoints());
                return new EndpointSet(stored.endpoints(), stored.changeRevision());
            }
            problem = "the set in the store breaks the rules (" + errors.size() + " error(s)):\n"
                    + ConfigError.describeAll(errors);
        } catch (StoreUnavailableException e) {
            problem = "the store did not answer: " + e.getMessage();
        } catch (IllegalStateException e) {
            // Refused, not unavailable (credentials, certificates, permissions): waiting will not help.
            throw new IllegalStateException(e.getMessage() + " (check sharedPrivateEndpoints.etcd: username, "
                    + "password and tls must be what the cluster expects)", e);
        }
        if (config.cacheFile() != null && config.cacheFile().toFile().isFile()) {
            try {
                final List<SharedPrivateEndpoint> cached = loader.loadEndpoints(config.cacheFile(), upstreams);
                logger.warn("starting from the cache file {} ({} endpoints): {}; the store is followed and its "
                        + "set replaces this one once it answers", config.cacheFile(), cached.size(), problem);
                return new EndpointSet(cached, 0);
            } catch (ConfigException e) {
                logger.error("the cache file {} cannot be used ({} error(s)); fix or delete it (the gateway rewrites "
                        + "it from the store):\n{}", config.cacheFile(),
                        e.errors().size(), ConfigError.describeAll(e.errors()));
            }
        }
        logger.error("starting without endpoints: {}; /readyz answers 503 and every call 503 store-unavailable "
                + "until the store answers{}", problem, config.cacheFile() == null
                ? " (set sharedPrivateEndpoints.etcd.cacheFile to start from the last set instead)" : "");
        return null;
    }

    /**
     * Replaces the whole set in one transaction: the keys of endpoints no longer in the set deleted, every
     * endpoint of the set written, committed only if nothing changed since the keys were read (etcd refuses a
     * transaction that deletes a range and writes inside it, so the stale keys are named one by one).
     */
    @Override
    public long replace(List<SharedPrivateEndpoint> endpoints) throws StoreUnavailableException, StoreConflictException {
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            final Snapshot current = readWhole();
            final Set<String> kept = new HashSet<>();
            final List<Op> ops = new ArrayList<>(endpoints.size() + current.kvs().size() + 1);
            for (SharedPrivateEndpoint endpoint : endpoints) {
                final byte[] key = key(endpoint.name());
                kept.add(new String(key, StandardCharsets.UTF_8));
                ops.add(new Op.Put(key, EndpointResource.bytes(endpoint), 0));
            }
            for (KeyValue kv : current.kvs()) {
                if (!kept.contains(new String(kv.key(), StandardCharsets.UTF_8))) {
                    ops.add(new Op.Delete(kv.key(), null));
                }
            }
            ops.add(guardPut("store import"));
            final TxnResponse response = await(client.txn(unchangedSince(current.revision()), ops, List.of()),
                    "store import");
            if (response.succeeded()) {
                return response.revision();
            }
        }
        throw new StoreConflictException("other writers changed the endpoints " + MAX_ATTEMPTS + " times during "
                + "the import; nothing was imported");
    }

    /**
     * What a write computed at {@code base} requires to be unchanged since: the guard key, which every
     * gateway write and import sets (so any other replica's change since {@code base} fails it), and the
     * keys the change was validated against (its own, and those of the endpoints it could clash with), which
     * catches a change by another tool to any of them. Comparing every key under the prefix instead would
     * make etcd read the whole set for every write: 65-90 ms at 100,000 endpoints, against 2-4 ms.
     */
    private List<Compare> unchangedFor(EndpointChange.Proposal proposal, long base) {
        final List<Compare> compares = new ArrayList<>();
        compares.add(Compare.modRevision(guardKey, Compare.Result.LESS, base + 1));
        final SharedPrivateEndpoint subject = proposal.changed() != null ? proposal.changed() : proposal.removed();
        if (subject != null) {
            compares.add(Compare.modRevision(key(subject.name()), Compare.Result.LESS, base + 1));
        }
        if (proposal.changed() != null) {
            for (String name : stored.relatedNames(proposal.changed())) {
                compares.add(Compare.modRevision(key(name), Compare.Result.LESS, base + 1));
            }
        }
        return compares;
    }

    /**
     * Waits, taking in what the watch brings, until the stored set reaches {@code revision}; {@code false}
     * when it has not within the timeout (the watch is down or behind).
     */
    private boolean awaitRevision(long revision) throws InterruptedException {
        final long deadline = System.nanoTime() + config.timeout().toNanos();
        while (true) {
            poll();
            if (stored.revision() >= revision) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
    }

    /** Nothing under the endpoints prefix, nor the guard key, modified after {@code revision}. */
    private List<Compare> unchangedSince(long revision) {
        return List.of(Compare.modRevision(endpointsKey, endpointsEnd, Compare.Result.LESS, revision + 1),
                Compare.modRevision(guardKey, Compare.Result.LESS, revision + 1));
    }

    // ---- following the store --------------------------------------------------------------------------

    @Override
    public void start(EndpointSink sink, Runnable wake) {
        this.sink = requireNonNull(sink, "sink");
        this.wake = requireNonNull(wake, "wake");
        if (stored.loaded()) {
            watchFrom(stored.revision() + 1);
        } else {
            resyncSoon(0, false);
        }
        timer.scheduleWithFixedDelay(this::checkHealth, 0, HEALTH_EVERY_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void watchFrom(long revision) {
        if (closed) {
            return;
        }
        watch = client.watch(endpointsKey, endpointsEnd, revision, new EtcdWatchListener() {
            @Override
            public void onEvents(long headerRevision, List<WatchEvent> events) {
                deliver(new Inbox.Events(events));
            }

            @Override
            public void onLive(boolean live) {
                if (live) {
                    // gateway_store_up turns 1 as soon as the store answers again, not at the next check.
                    timer.execute(EtcdEndpointStore.this::checkHealth);
                } else {
                    logger.warn("watch of {} lost; resuming from revision {}; calls are decided on the set in force "
                            + "meanwhile; if this repeats, check the etcd cluster's health and the network to it",
                            describe(), watch == null ? revision : watch.nextRevision());
                    up(false);
                }
            }

            @Override
            public void onCompacted(long compactRevision) {
                final EtcdWatch w = watch;
                logger.warn("watch of {}: revision {} was compacted away (compacted up to {}); reading the whole "
                        + "set again", describe(), w == null ? revision : w.nextRevision(), compactRevision);
                resyncSoon(0, true);
            }
        });
    }

    /** Reads the whole set on the timer thread and hands it to the configuration thread. */
    private void resyncSoon(long delayMillis, boolean counted) {
        if (closed) {
            return;
        }
        final EtcdWatch old = watch;
        if (old != null) {
            old.close();
            watch = null;
        }
        timer.schedule(() -> {
            if (closed) {
                return;
            }
            try {
                final Snapshot snapshot = readWhole();
                if (counted && metrics != null) {
                    metrics.storeResync();
                }
                deliver(new Inbox.Whole(snapshot));
                watchFrom(snapshot.revision() + 1);
            } catch (StoreUnavailableException e) {
                logger.warn("reading {} failed ({}); trying again in {} ms; check that the cluster is reachable and "
                        + "has quorum", describe(), e.getMessage(), RETRY_MILLIS);
                resyncSoon(RETRY_MILLIS, counted);
            } catch (RuntimeException e) {
                // Refused (credentials revoked, permissions): say so loudly, and keep trying, more slowly.
                logger.error("reading {} was refused: {}; trying again in {} ms; check sharedPrivateEndpoints.etcd "
                        + "username, password and tls, and that the user may read the prefix", describe(),
                        e.getMessage(), 10 * RETRY_MILLIS);
                resyncSoon(10 * RETRY_MILLIS, counted);
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    private void deliver(Inbox item) {
        inbox.add(item);
        wake.run();
    }

    /**
     * Applies what the watch and the re-reads queued, in order, then validates and swaps once: a burst of
     * revisions becomes one snapshot.
     */
    @Override
    public void poll() {
        boolean changed = false;
        for (Inbox item; (item = inbox.poll()) != null; ) {
            if (item instanceof Inbox.Whole whole) {
                stored.reset(whole.snapshot());
                changed = true;
            } else if (item instanceof Inbox.Events events) {
                changed |= stored.apply(events.events());
            }
        }
        if (changed) {
            applyStored("etcd");
        }
    }

    /** Puts the stored set in force when it is valid and newer than the set in force; else rejects it. */
    private void applyStored(String what) {
        final EndpointSink out = sink;
        final List<ConfigError> errors = stored.errors(out.current().upstreams());
        if (!errors.isEmpty()) {
            out.reject(what + " revision " + stored.revision(), errors);
            return;
        }
        if (stored.inForce()) {
            return;
        }
        final List<SharedPrivateEndpoint> changed = stored.changedSinceInForce();
        stored.markInForce();
        final List<SharedPrivateEndpoint> endpoints = stored.endpoints();
        out.apply(endpoints, stored.changeRevision(), what + " revision " + stored.changeRevision(), changed);
        registry.revision(stored.changeRevision());
        writeCache(endpoints);
    }

    // ---- writes --------------------------------------------------------------------------------------

    @Override
    public EditOutcome edit(EndpointChange change)
            throws StoreUnavailableException, StoreConflictException, InterruptedException {
        poll();
        final EndpointSink out = sink;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            if (!stored.loaded()) {
                out.refused();
                throw new StoreUnavailableException("the endpoints have not been read from " + describe()
                        + " since start", null);
            }
            final long base = stored.revision();
            // Changes seen but not in force (a set that broke the rules) mean the snapshot is compiled whole.
            final boolean baseInForce = stored.inForce();
            final EndpointChange.Proposal proposal = change.propose(stored.endpoints());
            if (proposal == null) {
                return new EditOutcome.NotFound();
            }
            if (proposal.changed() != null && !proposal.created()
                    && proposal.changed().equals(stored.endpoint(proposal.changed().name()))) {
                // The same endpoint again (a repeated PUT, an approval of an approved endpoint): nothing to write.
                return new EditOutcome.Applied(proposal.changed(), false);
            }
            final List<EditOutcome.Problem> problems = stored.problems(proposal, out.current().upstreams());
            if (!problems.isEmpty()) {
                out.refused();
                return new EditOutcome.Invalid(problems);
            }
            final List<Op> ops = new ArrayList<>(2);
            if (proposal.changed() != null) {
                ops.add(new Op.Put(key(proposal.changed().name()), EndpointResource.bytes(proposal.changed()), 0));
            } else if (proposal.removed() != null) {
                ops.add(new Op.Delete(key(proposal.removed().name()), null));
            }
            ops.add(guardPut(proposal.describe()));
            if (proposal.audit() != null) {
                // In the same transaction: the record exists exactly when the change does.
                ops.add(new Op.Put(auditKey(proposal.audit()), proposal.audit().toJsonLine()
                        .getBytes(StandardCharsets.UTF_8), 0));
            }
            final TxnResponse response;
            try {
                // A linearizable read first: without quorum it fails within the timeout and nothing is
                // proposed. A write proposed to a leader that has just lost its quorum may still be committed
                // when the members come back, after its caller was told 503.
                await(client.range(guardKey, null, RangeOptions.linearizable().withLimit(1).withKeysOnly()),
                        "write");
                response = await(client.txn(unchangedFor(proposal, base), ops,
                        List.of(new Op.Range(guardKey, null))), "write");
            } catch (StoreUnavailableException e) {
                out.refused();
                throw e;
            }
            if (response.succeeded()) {
                stored.applyOwn(proposal, response.revision());
                stored.markInForce();
                out.apply(stored.endpoints(), response.revision(), "admin API (" + proposal.describe() + ")",
                        baseInForce && proposal.changed() != null ? List.of(proposal.changed()) : null);
                registry.revision(response.revision());
                writeCache(stored.endpoints());
                return new EditOutcome.Applied(proposal.changed(), proposal.created());
            }
            final List<KeyValue> guard = response.ranges().isEmpty() ? List.of() : response.ranges().get(0).kvs();
            final long newer = guard.isEmpty() ? 0 : guard.get(0).modRevision();
            logger.info("admin API: the write of {} lost a race at revision {} (attempt {} of {}); taking in the "
                    + "newer set", proposal.describe(), base, attempt, MAX_ATTEMPTS);
            if (newer > base && awaitRevision(newer)) {
                continue;
            }
            // Not another gateway's write (a tool wrote one of the keys), or the watch is behind: read it all.
            final Snapshot snapshot;
            try {
                snapshot = readWhole();
            } catch (StoreUnavailableException e) {
                out.refused();
                throw e;
            }
            poll(); // what the watch queued is older than the snapshot; take it in first
            stored.reset(snapshot);
            applyStored("etcd");
        }
        out.refused();
        throw new StoreConflictException("other writers changed the endpoints " + MAX_ATTEMPTS + " times while "
                + "this change was being made; nothing changed; read the endpoint again and retry");
    }

    /** The guard key's new value: who changed the endpoints last, what and when (for an operator's etcdctl). */
    private Op guardPut(String what) {
        final String value = JsonNodeFactory.instance.objectNode().put("replica", config.replicaId())
                .put("change", what).put("time", Instant.now().toString()).toString();
        return new Op.Put(guardKey, bytes(value), 0);
    }

    // ---- replicas and health -------------------------------------------------------------------------

    @Override
    public void announce(Replica self) {
        registry.start(self.withRevision(stored.inForce() ? stored.changeRevision() : 0));
    }

    @Override
    public CompletableFuture<Void> keepAudit(AuditRecord record) {
        return client.put(auditKey(record), record.toJsonLine().getBytes(StandardCharsets.UTF_8), 0)
                .thenApply(r -> null);
    }

    /**
     * {@code PREFIX + "audit/" + name + "/" + micros + "-" + replica + "-" + sequence}: a range read of an
     * endpoint's prefix is its history, and the zero-padded time makes key order time order. The name is
     * lower-cased as the API looks names up in any letter case; the replica and this store's sequence keep
     * records of the same microsecond apart, so none overwrites another.
     */
    private byte[] auditKey(AuditRecord record) {
        final long micros = record.time().getEpochSecond() * 1_000_000 + record.time().getNano() / 1_000;
        return bytes(auditPrefix(record.endpoint()) + String.format(Locale.ROOT, "%019d-%s-%019d",
                micros, record.replica(), auditSequence.incrementAndGet()));
    }

    @Override
    public CompletableFuture<List<AuditRecord>> audit(String name) {
        final byte[] prefix = bytes(auditPrefix(name));
        // Serializable: an operator reading history during an outage gets what a member last knew.
        return client.range(prefix, EtcdClient.prefixEnd(prefix), RangeOptions.linearizable().asSerializable()
                .sortedBy(RangeOptions.SortTarget.KEY, true)).thenApply(response -> {
                    final List<AuditRecord> records = new ArrayList<>(response.kvs().size());
                    for (KeyValue kv : response.kvs()) {
                        try {
                            records.add(AuditRecord.parse(kv.value()));
                        } catch (IllegalArgumentException e) {
                            // One record some other writer put there must not hide the endpoint's history.
                            logger.warn("audit record {} skipped: {} (delete the key with etcdctl or rewrite it "
                                    + "as the gateway writes them)", new String(kv.key(), StandardCharsets.UTF_8),
                                    e.getMessage());
                        }
                    }
                    return records;
                });
    }

    private String auditPrefix(String name) {
        return config.prefix() + "audit/" + name.toLowerCase(Locale.ROOT) + "/";
    }

    @Override
    public CompletableFuture<ReplicaView> replicas() {
        // Without quorum a member still answers what it last knew (a serializable read): during an outage the
        // operator sees the registry as it was, rather than nothing.
        return replicas(RangeOptions.linearizable())
                .exceptionallyCompose(e -> replicas(RangeOptions.linearizable().asSerializable()));
    }

    private CompletableFuture<ReplicaView> replicas(RangeOptions read) {
        final byte[] replicasKey = bytes(config.replicasPrefix());
        final CompletableFuture<RangeResponse> replicas = client.range(replicasKey, EtcdClient.prefixEnd(replicasKey),
                read);
        final CompletableFuture<RangeResponse> newest = client.range(endpointsKey, endpointsEnd,
                read.withLimit(1).withKeysOnly().sortedBy(RangeOptions.SortTarget.MOD, true));
        final CompletableFuture<RangeResponse> guard = client.range(guardKey, null, read);
        return replicas.thenCombine(newest, (r, n) -> new Object[] {r, n}).thenCombine(guard, (rn, g) -> {
            final RangeResponse r = (RangeResponse) rn[0];
            final RangeResponse n = (RangeResponse) rn[1];
            long revision = n.kvs().isEmpty() ? 0 : n.kvs().get(0).modRevision();
            if (!g.kvs().isEmpty()) {
                revision = Math.max(revision, g.kvs().get(0).modRevision());
            }
            final List<Replica> list = new ArrayList<>(r.kvs().size());
            for (KeyValue kv : r.kvs()) {
                list.add(ReplicaRegistry.parse(kv.value()));
            }
            return new ReplicaView(revision, list);
        });
    }

    /** {@code gateway_store_up}: a linearizable read answered within the timeout, and the watch is live. */
    private void checkHealth() {
        client.range(guardKey, null, RangeOptions.linearizable()).whenComplete((r, e) -> {
            final EtcdWatch w = watch;
            final boolean up = e == null && w != null && w.live();
            up(up);
            if (e != null) {
                logger.debug("store health check failed", e);
            }
        });
    }

    private void up(boolean up) {
        if (metrics != null) {
            metrics.storeUp(up);
        }
    }

    // ---- plumbing ------------------------------------------------------------------------------------

    /** One linearizable read of every endpoint key at one revision, with the guard key at that revision. */
    private Snapshot readWhole() throws StoreUnavailableException {
        for (int attempt = 1; ; attempt++) {
            try {
                // Each page is bounded by the timeout in the client; the whole read takes as many pages as the
                // set needs (about 100 at 100,000 endpoints), so it gets no deadline of its own here.
                final RangeResponse all = await(client.rangeAll(endpointsKey, endpointsEnd, PAGE_SIZE), "read",
                        WHOLE_READ_LIMIT);
                final RangeResponse guard = await(client.range(guardKey, null,
                        RangeOptions.linearizable().atRevision(all.revision())), "read");
                final long guardRevision = guard.kvs().isEmpty() ? 0 : guard.kvs().get(0).modRevision();
                return new Snapshot(all.revision(), all.kvs(), guardRevision);
            } catch (StoreUnavailableException e) {
                // A compaction between two pages of the read: the revision read at is gone; read anew.
                if (!(e.getCause() instanceof EtcdException etcd && etcd.kind() == EtcdException.Kind.COMPACTED)
                        || attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private <T> T await(CompletableFuture<T> call, String what) throws StoreUnavailableException {
        // The client fails every call within the timeout; the extra second only guards against a bug there.
        return await(call, what, config.timeout().plusSeconds(1));
    }

    private <T> T await(CompletableFuture<T> call, String what, Duration limit) throws StoreUnavailableException {
        try {
            return call.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted during the " + what + " of " + describe(), e);
        } catch (TimeoutException e) {
            call.cancel(false);
            throw new StoreUnavailableException("the store did not answer the " + what + " within "
                    + config.timeout(), e);
        } catch (ExecutionException e) {
            final Throwable cause = e.getCause();
            if (cause instanceof EtcdException etcd && etcd.kind() == EtcdException.Kind.REJECTED) {
                throw new IllegalStateException("the " + what + " of " + describe() + " was refused: "
                        + etcd.getMessage(), etcd);
            }
            // Unavailable, or compacted under a read: both pass; the caller reads again or answers 503.
            throw new StoreUnavailableException("the " + what + " of " + describe() + " failed: "
                    + (cause == null ? e : cause).getMessage(), cause);
        }
    }

    /**
     * Rewrites {@code cacheFile} with the set in force, on the timer thread and coalesced: a burst of
     * changes makes one write, and the configuration thread never waits for an fsync of a large set.
     */
    private void writeCache(List<SharedPrivateEndpoint> endpoints) {
        if (config.cacheFile() != null && pendingCache.getAndSet(endpoints) == null) {
            timer.schedule(this::flushCache, CACHE_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void flushCache() {
        final List<SharedPrivateEndpoint> endpoints = pendingCache.getAndSet(null);
        if (endpoints == null) {
            return;
        }
        try {
            EndpointsFile.write(config.cacheFile(), endpoints);
        } catch (IOException e) {
            logger.warn("could not rewrite the cache file {}: {}; a start without the store would use an older "
                    + "set; check that the file and its folder are writable and the disk has room",
                    config.cacheFile(), e.toString());
        }
    }

    private byte[] key(String name) {
        return bytes(config.endpointsPrefix() + name);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        closed = true;
        final EtcdWatch w = watch;
        if (w != null) {
            w.close();
        }
        registry.close();
        timer.shutdown();
        try {
            // A pending cache write finishes: the next start may need it.
            timer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
        client.close();
    }

    /** Whatever the watch and the re-reads hand the configuration thread. */
    private sealed interface Inbox {
        record Events(List<WatchEvent> events) implements Inbox {
        }

        record Whole(Snapshot snapshot) implements Inbox {
        }
    }

    /**
     * The whole set as one read returned it.
     *
     * @param revision the store's revision of the read
     * @param kvs every key under the endpoints prefix
     * @param guardRevision the modification revision of the guard key, 0 when absent
     */
    record Snapshot(long revision, List<KeyValue> kvs, long guardRevision) {
    }
}
