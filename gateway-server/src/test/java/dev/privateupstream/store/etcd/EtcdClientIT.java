package dev.privateupstream.store.etcd;

import static dev.privateupstream.store.etcd.EtcdClientTest.bytes;
import static dev.privateupstream.store.etcd.EtcdClientTest.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.store.etcd.Compare.Result;
import dev.privateupstream.store.etcd.EtcdException.Kind;
import dev.privateupstream.testing.EtcdCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link EtcdClient} against a real 3-member etcd 3.4 cluster on loopback: the calls, paging at one revision,
 * leases, watches (in order, across a killed member, from a compacted revision) and failures (quorum lost,
 * every member down).
 */
class EtcdClientIT {
    @RegisterExtension
    static final EtcdCluster etcd = EtcdCluster.members(3);

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAndHeal() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        etcd.restartAll();
    }

    @Test
    void putRangeAndCompareAndSwap() throws Exception {
        final EtcdClient client = client(etcd.clientEndpoints());
        final byte[] key = bytes(etcd.uniquePrefix() + "k");

        final long created = get(client.put(key, bytes("v1"), 0));
        final RangeResponse read = get(client.range(key, null, RangeOptions.linearizable()));
        assertThat(read.revision()).isGreaterThanOrEqualTo(created);
        assertThat(read.count()).isEqualTo(1);
        assertThat(read.more()).isFalse();
        assertThat(read.kvs()).containsExactly(new KeyValue(key, bytes("v1"), created, created, 1, 0));

        final TxnResponse swapped = get(client.txn(List.of(Compare.modRevision(key, Result.EQUAL, created)),
                List.of(Op.put(key, bytes("v2"))), List.of(Op.range(key, null))));
        assertThat(swapped.succeeded()).isTrue();
        assertThat(swapped.revision()).isGreaterThan(created);
        assertThat(swapped.ranges()).isEmpty();

        // The same swap again is stale: the failure branch's range shows what is there now.
        final TxnResponse stale = get(client.txn(List.of(Compare.modRevision(key, Result.EQUAL, created)),
                List.of(Op.put(key, bytes("v3"))), List.of(Op.range(key, null))));
        assertThat(stale.succeeded()).isFalse();
        assertThat(stale.revision()).isEqualTo(swapped.revision());
        assertThat(stale.ranges()).singleElement().satisfies(range -> assertThat(range.kvs())
                .containsExactly(new KeyValue(key, bytes("v2"), created, swapped.revision(), 2, 0)));

        // Create-if-absent, then a delete of the whole prefix.
        final byte[] other = bytes(new String(key) + "-other");
        assertThat(get(client.txn(List.of(Compare.absent(other)), List.of(Op.put(other, bytes("x"))), List.of()))
                .succeeded()).isTrue();
        assertThat(get(client.txn(List.of(Compare.absent(other)), List.of(Op.put(other, bytes("y"))), List.of()))
                .succeeded()).isFalse();
        final long deleted = get(client.delete(key, EtcdClient.prefixEnd(key)));
        assertThat(get(client.range(key, EtcdClient.prefixEnd(key), RangeOptions.linearizable())))
                .isEqualTo(new RangeResponse(deleted, List.of(), 0, false));
    }

    @Test
    void aCompareOverAPrefixHoldsForEveryKeyInItsRange() throws Exception {
        final EtcdClient client = client(etcd.clientEndpoints());
        final byte[] prefix = bytes(etcd.uniquePrefix());
        final byte[] end = EtcdClient.prefixEnd(prefix);

        // An empty range compares as one absent key: mod revision 0.
        assertThat(get(client.txn(List.of(Compare.modRevision(prefix, end, Result.LESS, 1)), List.of(), List.of()))
                .succeeded()).isTrue();
        get(client.put(bytes(new String(prefix) + "a"), bytes("1"), 0));
        final long r = get(client.put(bytes(new String(prefix) + "b"), bytes("1"), 0));
        assertThat(get(client.txn(List.of(Compare.modRevision(prefix, end, Result.LESS, r + 1)), List.of(),
                List.of())).succeeded()).isTrue();

        // Any key under the prefix put after r makes it fail, and the failure branch reads the prefix.
        get(client.put(bytes(new String(prefix) + "c"), bytes("1"), 0));
        final TxnResponse after = get(client.txn(List.of(Compare.modRevision(prefix, end, Result.LESS, r + 1)),
                List.of(), List.of(Op.range(prefix, end))));
        assertThat(after.succeeded()).isFalse();
        assertThat(after.ranges().get(0).kvs()).extracting(KeyValue::keyText)
                .containsExactly(new String(prefix) + "a", new String(prefix) + "b", new String(prefix) + "c");
        // A key just outside the range does not count.
        get(client.put(end, bytes("outside"), 0));
        final long now = get(client.range(prefix, end, RangeOptions.linearizable().withKeysOnly())).revision();
        assertThat(get(client.txn(List.of(Compare.modRevision(prefix, end, Result.LESS, now)), List.of(),
                List.of())).succeeded()).isTrue();
        get(client.delete(end, null));
    }

    @Test
    void rangeAllReadsEveryPageAtTheFirstPagesRevision() throws Exception {
        final EtcdClient client = client(etcd.clientEndpoints());
        final EtcdClient writer = client(etcd.clientEndpoints());
        final String prefix = etcd.uniquePrefix();
        final List<Op> puts = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            puts.add(Op.put(bytes(prefix + String.format("%05d", i)), bytes("value-" + i)));
        }
        // One transaction: the cluster allows 10,000 operations in one.
        final long loaded = get(client.txn(List.of(), puts, List.of())).revision();

        // Writes into the middle of the range while it is read: none may show up, all pages are at one revision.
        final List<CompletableFuture<Long>> concurrent = new ArrayList<>();
        final CompletableFuture<RangeResponse> all = client.rangeAll(bytes(prefix), EtcdClient.prefixEnd(bytes(prefix)),
                1000);
        for (int i = 0; i < 50; i++) {
            concurrent.add(writer.put(bytes(prefix + String.format("%05d", i * 50) + "-late"), bytes("late"), 0));
        }
        final RangeResponse result = all.get(10, TimeUnit.SECONDS);
        for (CompletableFuture<Long> put : concurrent) {
            get(put);
        }

        assertThat(result.revision()).isGreaterThanOrEqualTo(loaded);
        assertThat(result.more()).isFalse();
        assertThat(result.kvs()).allSatisfy(kv -> assertThat(kv.modRevision()).isLessThanOrEqualTo(result.revision()));
        final long atThatRevision = get(client.range(bytes(prefix), EtcdClient.prefixEnd(bytes(prefix)),
                RangeOptions.linearizable().withKeysOnly().atRevision(result.revision()))).count();
        assertThat(result.count()).isEqualTo(atThatRevision).isEqualTo(result.kvs().size());
        assertThat(result.kvs()).extracting(KeyValue::keyText).doesNotHaveDuplicates().isSorted();
        assertThat(result.kvs().get(1234).valueText()).isEqualTo("value-1234");
    }

    @Test
    void leasesKeepKeysUntilRevoked() throws Exception {
        final EtcdClient client = client(etcd.clientEndpoints());
        final byte[] key = bytes(etcd.uniquePrefix() + "leased");
        final long lease = get(client.grantLease(5));
        get(client.put(key, bytes("v"), lease));
        assertThat(get(client.range(key, null, RangeOptions.linearizable())).kvs().get(0).lease()).isEqualTo(lease);

        assertThat(get(client.keepAlive(lease))).isBetween(1L, 5L);
        get(client.revoke(lease));
        assertThat(get(client.range(key, null, RangeOptions.linearizable())).kvs()).isEmpty();
        assertThat(get(client.keepAlive(lease))).isZero();
        // Revoking again: the lease is gone either way.
        get(client.revoke(lease));
    }

    @Test
    void aWatchDeliversPutsAndDeletesInOrder() throws Exception {
        final EtcdClient client = client(etcd.clientEndpoints());
        final String prefix = etcd.uniquePrefix();
        final byte[] a = bytes(prefix + "a");
        final byte[] b = bytes(prefix + "b");
        final long start = get(client.put(bytes(prefix + "before"), bytes("x"), 0));
        final Events events = new Events();
        final EtcdWatch watch = client.watch(bytes(prefix), EtcdClient.prefixEnd(bytes(prefix)), start + 1, events);
        closeables.add(0, watch);

        final long putA = get(client.put(a, bytes("1"), 0));
        final long putB = get(client.put(b, bytes("2"), 0));
        final long deleteA = get(client.delete(a, null));
        final long both = get(client.txn(List.of(), List.of(Op.put(a, bytes("3")), Op.delete(b, null)), List.of()))
                .revision();

        events.awaitCount(5);
        assertThat(events.list).containsExactly("PUT " + prefix + "a=1@" + putA, "PUT " + prefix + "b=2@" + putB,
                "DELETE " + prefix + "a=@" + deleteA, "PUT " + prefix + "a=3@" + both, "DELETE " + prefix + "b=@" + both);
        assertThat(watch.nextRevision()).isEqualTo(both + 1);
        assertThat(watch.live()).isTrue();
    }

    @Test
    void aWatchResumesAfterItsMemberIsKilledWithNoEventLostOrRepeated() throws Exception {
        // The watch connects to the first endpoint: member 0.
        final EtcdClient client = client(etcd.clientEndpoints());
        final EtcdClient writer = client(List.of(etcd.clientEndpoint(1), etcd.clientEndpoint(2)));
        final String prefix = etcd.uniquePrefix();
        final long start = get(writer.put(bytes(prefix + "first"), bytes("0"), 0));
        final Events events = new Events();
        final EtcdWatch watch = client.watch(bytes(prefix), EtcdClient.prefixEnd(bytes(prefix)), start, events);
        closeables.add(0, watch);
        events.awaitCount(1);
        awaitTrue(watch::live);

        etcd.kill(0);
        awaitTrue(() -> !watch.live());
        for (int i = 0; i < 5; i++) {
            putRetrying(writer, bytes(prefix + "during-" + i));
        }
        etcd.restart(0);
        for (int i = 0; i < 2; i++) {
            putRetrying(writer, bytes(prefix + "after-" + i));
        }
        final long last = get(writer.put(bytes(prefix + "last"), bytes("x"), 0));
        awaitTrue(() -> watch.nextRevision() > last);

        // What etcd's history holds for the prefix, replayed by a fresh watch that never dropped.
        final Events replay = new Events();
        closeables.add(0, client.watch(bytes(prefix), EtcdClient.prefixEnd(bytes(prefix)), start, replay));
        awaitTrue(() -> replay.list.size() >= events.list.size() && replay.list.get(replay.list.size() - 1)
                .endsWith("@" + last));
        assertThat(events.list).containsExactlyElementsOf(replay.list).hasSizeGreaterThanOrEqualTo(9);
        assertThat(events.live).containsExactly(true, false, true);
    }

    @Test
    void aWatchFromACompactedRevisionEnds() throws Exception {
        final EtcdClient client = client(etcd.clientEndpoints());
        final String prefix = etcd.uniquePrefix();
        final long first = get(client.put(bytes(prefix + "a"), bytes("1"), 0));
        get(client.put(bytes(prefix + "a"), bytes("2"), 0));
        final long compacted = etcd.compact();

        final Events events = new Events();
        final EtcdWatch watch = client.watch(bytes(prefix), EtcdClient.prefixEnd(bytes(prefix)), first, events);
        closeables.add(0, watch);
        assertThat(events.compacted.get(10, TimeUnit.SECONDS)).isEqualTo(compacted);
        assertThat(watch.live()).isFalse();
        assertThat(events.list).isEmpty();
        assertThat(failure(client.range(bytes(prefix + "a"), null, RangeOptions.linearizable().atRevision(first)))
                .kind()).isEqualTo(Kind.COMPACTED);
    }

    @Test
    void withoutQuorumAPutFailsUnavailableWithinItsTimeout() throws Exception {
        final EtcdClient client = client(etcd.clientEndpoints());
        final byte[] key = bytes(etcd.uniquePrefix() + "k");
        get(client.put(key, bytes("before"), 0));
        etcd.kill(1);
        etcd.kill(2);

        final long start = System.nanoTime();
        final EtcdException failure = failure(client.put(key, bytes("lost"), 0));
        final Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(failure.kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(took).isLessThan(TIMEOUT.multipliedBy(3));
        assertThat(failure(client.range(key, null, RangeOptions.linearizable())).kind()).isEqualTo(Kind.UNAVAILABLE);
        // A serializable read is answered by member 0 alone, stale but there.
        final EtcdClient local = client(List.of(etcd.clientEndpoint(0)));
        assertThat(get(local.range(key, null, RangeOptions.linearizable().asSerializable())).kvs().get(0).valueText())
                .isEqualTo("before");
    }

    @Test
    void withEveryMemberDownACallFailsAtOnce() throws Exception {
        final EtcdClient client = EtcdClient.create(EtcdClientSettings.of(etcd.clientEndpoints(), Duration.ofSeconds(5)));
        closeables.add(0, client);
        etcd.killAll();
        final long start = System.nanoTime();
        final EtcdException failure = failure(client.put(bytes("/k"), bytes("v"), 0));
        assertThat(failure.kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(failure).hasMessageContaining("no etcd endpoint could be reached")
                .hasMessageContaining(etcd.clientEndpoint(2).toString());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        // Back up, the same client works again.
        etcd.restartAll();
        assertThat(get(client.put(bytes(etcd.uniquePrefix() + "k"), bytes("v"), 0))).isPositive();
    }

    /** Each event as {@code TYPE key=value@revision}, the liveness changes, and the compaction if any. */
    static final class Events implements EtcdWatchListener {
        final List<String> list = new CopyOnWriteArrayList<>();
        final List<Boolean> live = new CopyOnWriteArrayList<>();
        final CompletableFuture<Long> compacted = new CompletableFuture<>();

        @Override
        public void onEvents(long headerRevision, List<WatchEvent> events) {
            for (WatchEvent event : events) {
                list.add(event.type() + " " + event.kv().keyText() + "=" + event.kv().valueText() + "@"
                         + event.kv().modRevision());
            }
        }

        @Override
        public void onLive(boolean live) {
            this.live.add(live);
        }

        @Override
        public void onCompacted(long compactRevision) {
            compacted.complete(compactRevision);
        }

        void awaitCount(int count) throws InterruptedException {
            awaitTrue(() -> list.size() >= count);
        }
    }

    /** A put retried while the cluster elects a new leader (the notes measured up to about 2 s). */
    private static void putRetrying(EtcdClient client, byte[] key) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try {
                get(client.put(key, bytes("v"), 0));
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof EtcdException failure) || failure.kind() != Kind.UNAVAILABLE
                    || System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    private EtcdClient client(List<java.net.URI> endpoints) {
        final EtcdClient client = EtcdClient.create(EtcdClientSettings.of(endpoints, TIMEOUT));
        closeables.add(client);
        return client;
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(10);
        }
    }
}
