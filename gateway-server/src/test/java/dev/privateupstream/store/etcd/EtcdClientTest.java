package dev.privateupstream.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.privateupstream.store.etcd.EtcdException.Kind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The unary calls against {@link FakeEtcd}: the gateway's JSON shapes (defaults left out, int64 as strings,
 * base64), what is sent again and what is not, timeouts, endpoint rotation and re-authentication.
 */
class EtcdClientTest {
    private static final String HEADER = "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"%d\","
                                         + "\"raft_term\":\"3\"}";

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
    }

    @Test
    void putSendsBase64AndReadsTheRevisionString() throws Exception {
        final FakeEtcd etcd = fake().on("/v3/kv/put", x -> x.answer(200, header(300) + "}"));
        final EtcdClient client = client(Duration.ofSeconds(2), etcd.endpoint());

        assertThat(client.put(bytes("/k"), bytes("v"), 0).get(2, TimeUnit.SECONDS)).isEqualTo(300L);
        assertThat(client.put(bytes("/k"), bytes("v"), 77).get(2, TimeUnit.SECONDS)).isEqualTo(300L);

        assertThat(etcd.requests.get(0).body()).isEqualTo("{\"key\":\"" + base64("/k") + "\",\"value\":\""
                                                          + base64("v") + "\"}");
        assertThat(etcd.requests.get(1).body()).contains("\"lease\":\"77\"");
        // Both on one keep-alive connection.
        assertThat(etcd.connections()).isEqualTo(1);
    }

    @Test
    void rangeReadsOmittedDefaults() throws Exception {
        final FakeEtcd etcd = fake().on("/v3/kv/range", x -> {
            if (x.request.body().contains("\"limit\":\"1\"")) {
                // A key with lease and version; "more" and "count" present.
                x.answer(200, header(9) + ",\"kvs\":[{\"key\":\"" + base64("/a") + "\",\"create_revision\":\"4\","
                              + "\"mod_revision\":\"8\",\"version\":\"3\",\"value\":\"" + base64("x") + "\",\"lease\":\"5\"}],"
                              + "\"more\":true,\"count\":\"2\"}");
            } else {
                // Nothing found: no kvs, no count, no more.
                x.answer(200, header(9) + "}");
            }
        });
        final EtcdClient client = client(Duration.ofSeconds(2), etcd.endpoint());

        final RangeResponse one = client.range(bytes("/"), EtcdClient.prefixEnd(bytes("/")),
                RangeOptions.linearizable().withLimit(1)).get(2, TimeUnit.SECONDS);
        assertThat(one.revision()).isEqualTo(9);
        assertThat(one.count()).isEqualTo(2);
        assertThat(one.more()).isTrue();
        assertThat(one.kvs()).containsExactly(new KeyValue(bytes("/a"), bytes("x"), 4, 8, 3, 5));

        final RangeResponse none = client.range(bytes("/none"), null, RangeOptions.linearizable()
                .asSerializable().withKeysOnly().atRevision(7).sortedBy(RangeOptions.SortTarget.MOD, true))
                .get(2, TimeUnit.SECONDS);
        assertThat(none).isEqualTo(new RangeResponse(9, List.of(), 0, false));
        assertThat(etcd.requests.get(1).body()).isEqualTo("{\"key\":\"" + base64("/none") + "\",\"revision\":\"7\","
                + "\"serializable\":true,\"keys_only\":true,\"sort_order\":\"DESCEND\",\"sort_target\":\"MOD\"}");
    }

    @Test
    void aFailedTxnHasNoSucceededFieldAndItsRangesAreRead() throws Exception {
        final FakeEtcd etcd = fake().on("/v3/kv/txn", x -> x.answer(200, header(12) + ",\"responses\":["
                + "{\"response_range\":{\"header\":{\"revision\":\"12\"},\"kvs\":[{\"key\":\"" + base64("/a")
                + "\",\"create_revision\":\"3\",\"mod_revision\":\"11\",\"version\":\"2\",\"value\":\""
                + base64("now") + "\"}],\"count\":\"1\"}},"
                + "{\"response_put\":{\"header\":{\"revision\":\"12\"}}},"
                + "{\"response_range\":{\"header\":{}}}]}"));
        final EtcdClient client = client(Duration.ofSeconds(2), etcd.endpoint());

        final TxnResponse txn = client.txn(
                List.of(Compare.modRevision(bytes("/"), EtcdClient.prefixEnd(bytes("/")), Compare.Result.LESS, 11),
                        Compare.value(bytes("/a"), Compare.Result.NOT_EQUAL, bytes("x")), Compare.absent(bytes("/b"))),
                List.of(Op.put(bytes("/a"), bytes("new"), 0), Op.delete(bytes("/b"), null)),
                List.of(Op.range(bytes("/a"), null), Op.put(bytes("/c"), bytes("")), Op.range(bytes("/z"), null)))
                .get(2, TimeUnit.SECONDS);

        assertThat(txn.succeeded()).isFalse();
        assertThat(txn.revision()).isEqualTo(12);
        assertThat(txn.ranges()).hasSize(2);
        assertThat(txn.ranges().get(0).kvs()).containsExactly(new KeyValue(bytes("/a"), bytes("now"), 3, 11, 2, 0));
        assertThat(txn.ranges().get(1)).isEqualTo(new RangeResponse(12, List.of(), 0, false));
        assertThat(etcd.requests.get(0).body()).isEqualTo("{\"compare\":["
                + "{\"key\":\"" + base64("/") + "\",\"range_end\":\"" + base64("0") + "\",\"target\":\"MOD\","
                + "\"result\":\"LESS\",\"mod_revision\":\"11\"},"
                + "{\"key\":\"" + base64("/a") + "\",\"target\":\"VALUE\",\"result\":\"NOT_EQUAL\",\"value\":\""
                + base64("x") + "\"},"
                + "{\"key\":\"" + base64("/b") + "\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
                + "\"success\":[{\"request_put\":{\"key\":\"" + base64("/a") + "\",\"value\":\"" + base64("new") + "\"}},"
                + "{\"request_delete_range\":{\"key\":\"" + base64("/b") + "\"}}],"
                + "\"failure\":[{\"request_range\":{\"key\":\"" + base64("/a") + "\"}},"
                + "{\"request_put\":{\"key\":\"" + base64("/c") + "\",\"value\":\"\"}},"
                + "{\"request_range\":{\"key\":\"" + base64("/z") + "\"}}]}");
    }

    @Test
    void leasesReadTheirIdAndTtlAndARevokeOfAMissingLeaseSucceeds() throws Exception {
        final FakeEtcd etcd = fake()
                .on("/v3/lease/grant", x -> x.answer(200, header(5) + ",\"ID\":\"1269630611668390410\",\"TTL\":\"5\"}"))
                .on("/v3/lease/keepalive", x -> x.answer(200, x.request.body().contains("\"1\"")
                        ? "{\"result\":{" + header(5).substring(1) + ",\"ID\":\"1\",\"TTL\":\"4\"}}\n"
                        : "{\"result\":{" + header(5).substring(1) + ",\"ID\":\"2\"}}\n"))
                .on("/v3/lease/revoke", x -> x.answer(400, "{\"error\":\"etcdserver: requested lease not found\","
                        + "\"message\":\"etcdserver: requested lease not found\",\"code\":5}"));
        final EtcdClient client = client(Duration.ofSeconds(2), etcd.endpoint());

        assertThat(client.grantLease(5).get(2, TimeUnit.SECONDS)).isEqualTo(1269630611668390410L);
        assertThat(etcd.requests.get(0).body()).isEqualTo("{\"TTL\":\"5\"}");
        assertThat(client.keepAlive(1).get(2, TimeUnit.SECONDS)).isEqualTo(4L);
        // An expired lease: the TTL field is left out.
        assertThat(client.keepAlive(2).get(2, TimeUnit.SECONDS)).isZero();
        assertThat(client.revoke(2).get(2, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void errorAnswersAreSortedByWhatTheCallerCanDo() throws Exception {
        final FakeEtcd etcd = fake()
                .on("/v3/kv/range", x -> x.answer(400, "{\"error\":\"etcdserver: mvcc: required revision has been "
                        + "compacted\",\"message\":\"etcdserver: mvcc: required revision has been compacted\",\"code\":11}"))
                .on("/v3/kv/put", x -> x.answer(500, "{\"error\":\"context deadline exceeded\","
                        + "\"message\":\"context deadline exceeded\",\"code\":2}"))
                .on("/v3/kv/deleterange", x -> x.answer(503, "{\"error\":\"etcdserver: request timed out\","
                        + "\"message\":\"etcdserver: request timed out\",\"code\":14}"))
                .on("/v3/kv/txn", x -> x.answer(400, "{\"error\":\"etcdserver: duplicate key given in txn request\","
                        + "\"message\":\"etcdserver: duplicate key given in txn request\",\"code\":3}"))
                .on("/v3/lease/keepalive", x -> x.answer(200, "{\"error\":{\"grpc_code\":14,\"http_code\":503,"
                        + "\"message\":\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}"));
        final EtcdClient client = client(Duration.ofSeconds(2), etcd.endpoint());

        final EtcdException compacted = failure(client.range(bytes("/k"), null, RangeOptions.linearizable().atRevision(2)));
        assertThat(compacted.kind()).isEqualTo(Kind.COMPACTED);
        assertThat(compacted.grpcCode()).isEqualTo(11);
        assertThat(compacted).hasMessageContaining("/v3/kv/range").hasMessageContaining(etcd.endpoint().toString());
        assertThat(failure(client.put(bytes("/k"), bytes("v"), 0)).kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(failure(client.delete(bytes("/k"), null)).kind()).isEqualTo(Kind.UNAVAILABLE);
        final EtcdException rejected = failure(client.txn(List.of(), List.of(), List.of()));
        assertThat(rejected.kind()).isEqualTo(Kind.REJECTED);
        assertThat(rejected).hasMessageContaining("duplicate key");
        final EtcdException noLeader = failure(client.keepAlive(1));
        assertThat(noLeader.kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(noLeader.grpcCode()).isEqualTo(14);
        // Not the gateway at all: a path it does not serve.
        final EtcdException notFound = failure(client.compact(3).thenApply(x -> x));
        assertThat(notFound.kind()).isEqualTo(Kind.REJECTED);
        assertThat(notFound).hasMessageContaining("HTTP 404").hasMessageContaining("Not Found");
    }

    @Test
    void aCallWithNoAnswerTimesOutClosesTheConnectionAndTheNextGoesToTheNextEndpoint() throws Exception {
        final FakeEtcd silent = fake().on("/v3/kv/put", x -> { });
        final FakeEtcd working = fake().on("/v3/kv/put", x -> x.answer(200, header(4) + "}"));
        final EtcdClient client = client(Duration.ofMillis(500), silent.endpoint(), working.endpoint());

        final long start = System.nanoTime();
        final EtcdException timedOut = failure(client.put(bytes("/k"), bytes("v"), 0));
        assertThat(timedOut.kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(timedOut.grpcCode()).isEqualTo(EtcdException.NO_CODE);
        assertThat(timedOut).hasMessageContaining("no answer within PT0.5S").hasMessageContaining(silent.endpoint().toString());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        awaitTrue(() -> silent.closedConnections.get() == 1);

        assertThat(client.put(bytes("/k"), bytes("v"), 0).get(2, TimeUnit.SECONDS)).isEqualTo(4L);
        // The request that went out is not sent again anywhere.
        assertThat(silent.requests).hasSize(1);
        assertThat(working.requests).hasSize(1);
    }

    @Test
    void aCallWhoseBytesWentOutIsNotSentAgainWhenTheConnectionCloses() throws Exception {
        final FakeEtcd closing = fake().on("/v3/kv/put", FakeEtcd.Exchange::close);
        final FakeEtcd working = fake().on("/v3/kv/put", x -> x.answer(200, header(4) + "}"));
        final EtcdClient client = client(Duration.ofSeconds(2), closing.endpoint(), working.endpoint());

        final EtcdException closed = failure(client.put(bytes("/k"), bytes("v"), 0));
        assertThat(closed.kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(closed).hasMessageContaining("closed before etcd answered").hasMessageContaining("not sent again");
        assertThat(closing.requests).hasSize(1);
        assertThat(working.requests).isEmpty();
        // The next call goes to the next endpoint.
        assertThat(client.put(bytes("/k"), bytes("v"), 0).get(2, TimeUnit.SECONDS)).isEqualTo(4L);
    }

    @Test
    void aRefusedEndpointIsSkippedAndAllRefusedFailsAtOnce() throws Exception {
        final FakeEtcd working = fake().on("/v3/kv/put", x -> x.answer(200, header(4) + "}"));
        final URI refused = refusedEndpoint();
        final EtcdClient client = client(Duration.ofSeconds(5), refused, working.endpoint());
        assertThat(client.put(bytes("/k"), bytes("v"), 0).get(2, TimeUnit.SECONDS)).isEqualTo(4L);

        final URI refusedToo = refusedEndpoint();
        final EtcdClient down = client(Duration.ofSeconds(5), refused, refusedToo);
        final long start = System.nanoTime();
        final EtcdException failure = failure(down.put(bytes("/k"), bytes("v"), 0));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(failure.kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(failure).hasMessageContaining("no etcd endpoint could be reached")
                .hasMessageContaining(refused.toString()).hasMessageContaining(refusedToo.toString());
    }

    @Test
    void pipelinedAnswersGoToTheirCallsInOrder() throws Exception {
        final AtomicInteger revision = new AtomicInteger(100);
        final FakeEtcd etcd = fake().on("/v3/kv/put", x -> x.answer(200, header(revision.incrementAndGet()) + "}"));
        final EtcdClient client = client(Duration.ofSeconds(2), etcd.endpoint());
        final List<CompletableFuture<Long>> puts = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            puts.add(client.put(bytes("/k" + i), bytes("v"), 0));
        }
        for (int i = 0; i < 50; i++) {
            assertThat(puts.get(i).get(2, TimeUnit.SECONDS)).isEqualTo(101L + i);
            assertThat(etcd.requests.get(i).body()).contains(base64("/k" + i));
        }
    }

    @Test
    void aStaleTokenIsReplacedOnceAndTheCallSentAgain() throws Exception {
        final AtomicInteger tokens = new AtomicInteger();
        final FakeEtcd etcd = fake()
                .on("/v3/auth/authenticate", x -> {
                    if (x.request.body().equals("{\"name\":\"root\",\"password\":\"secret\"}")) {
                        x.answer(200, header(1) + ",\"token\":\"token-" + tokens.incrementAndGet() + "\"}");
                    } else {
                        x.answer(400, "{\"error\":\"etcdserver: authentication failed, invalid user ID or password\","
                                + "\"message\":\"etcdserver: authentication failed, invalid user ID or password\",\"code\":3}");
                    }
                })
                .on("/v3/kv/put", x -> {
                    if ("token-2".equals(x.request.authorization())) {
                        x.answer(200, header(7) + "}");
                    } else {
                        x.answer(401, "{\"error\":\"etcdserver: invalid auth token\","
                                + "\"message\":\"etcdserver: invalid auth token\",\"code\":16}");
                    }
                });
        final EtcdClient client = EtcdClient.create(EtcdClientSettings.of(List.of(etcd.endpoint()),
                Duration.ofSeconds(2)).withCredentials("root", "secret"));
        closeables.add(client);

        assertThat(client.put(bytes("/k"), bytes("v"), 0).get(2, TimeUnit.SECONDS)).isEqualTo(7L);
        assertThat(etcd.requests).extracting(FakeEtcd.Request::path, FakeEtcd.Request::authorization).containsExactly(
                org.assertj.core.groups.Tuple.tuple("/v3/auth/authenticate", null),
                org.assertj.core.groups.Tuple.tuple("/v3/kv/put", "token-1"),
                org.assertj.core.groups.Tuple.tuple("/v3/auth/authenticate", null),
                org.assertj.core.groups.Tuple.tuple("/v3/kv/put", "token-2"));

        // Only once: a third token is refused again, and then the call fails.
        final EtcdClient wrong = EtcdClient.create(EtcdClientSettings.of(List.of(etcd.endpoint()),
                Duration.ofSeconds(2)).withCredentials("root", "wrong"));
        closeables.add(wrong);
        final EtcdException refused = failure(wrong.put(bytes("/k"), bytes("v"), 0));
        assertThat(refused.kind()).isEqualTo(Kind.REJECTED);
        assertThat(refused).hasMessageContaining("authenticating as 'root'").hasMessageContaining("invalid user ID");
    }

    @Test
    void callsOnAClosedClientFailAndCloseFailsTheUnanswered() throws Exception {
        final FakeEtcd silent = fake().on("/v3/kv/put", x -> { });
        final EtcdClient client = EtcdClient.create(EtcdClientSettings.of(List.of(silent.endpoint()),
                Duration.ofSeconds(10)));
        final CompletableFuture<Long> pending = client.put(bytes("/k"), bytes("v"), 0);
        awaitTrue(() -> silent.requests.size() == 1);
        client.close();
        assertThat(failure(pending).kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(failure(client.put(bytes("/k"), bytes("v"), 0))).hasMessageContaining("closed");
    }

    @Test
    void prefixEndIncrementsTheLastByteBelow0xff() {
        assertThat(EtcdClient.prefixEnd(bytes("/a/"))).isEqualTo(bytes("/a0"));
        assertThat(EtcdClient.prefixEnd(new byte[] {'a', (byte) 0xff})).isEqualTo(bytes("b"));
        assertThat(EtcdClient.prefixEnd(new byte[] {(byte) 0xff, (byte) 0xff})).isEqualTo(new byte[] {0});
        assertThat(EtcdClient.prefixEnd(new byte[0])).isEqualTo(new byte[] {0});
    }

    private FakeEtcd fake() throws InterruptedException {
        final FakeEtcd etcd = new FakeEtcd();
        closeables.add(etcd);
        return etcd;
    }

    private EtcdClient client(Duration timeout, URI... endpoints) {
        final EtcdClient client = EtcdClient.create(EtcdClientSettings.of(List.of(endpoints), timeout));
        closeables.add(0, client);
        return client;
    }

    static EtcdException failure(CompletableFuture<?> future) throws InterruptedException {
        final Throwable thrown = catchThrowable(() -> future.get(10, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class);
        assertThat(thrown.getCause()).isInstanceOf(EtcdException.class);
        return (EtcdException) thrown.getCause();
    }

    static URI refusedEndpoint() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 5 s");
            }
            Thread.sleep(10);
        }
    }

    static String header(long revision) {
        return String.format(HEADER, revision);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String base64(String text) {
        return Base64.getEncoder().encodeToString(bytes(text));
    }
}
