package dev.privateupstream.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.EtcdCluster;
import dev.privateupstream.testing.EventStreamClient;
import dev.privateupstream.testing.PrometheusText;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several gateway replicas sharing their endpoints through a real 3-member etcd cluster on loopback
 * (SPEC §10): convergence, racing writes, quorum loss and recovery, compaction, and starts without the store.
 */
class EtcdReplicasIT {
    @RegisterExtension
    static final EtcdCluster etcd = EtcdCluster.members(3);

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();

    @TempDir
    Path dir;

    private final List<TestGateway> replicas = new ArrayList<>();
    private String prefix;

    @BeforeEach
    void freshPrefix() {
        prefix = etcd.uniquePrefix();
    }

    @AfterEach
    void stopReplicasAndHealTheCluster() throws Exception {
        for (TestGateway replica : replicas) {
            replica.close();
        }
        for (int member = 0; member < 3; member++) {
            if (!etcd.running(member)) {
                etcd.restart(member);
            }
        }
        etcd.awaitHealthy();
    }

    @Test
    void anApprovalOnOneReplicaIsInForceOnTheOtherWithinOneSecond() throws Exception {
        final TestGateway one = replica("one", etcd.endpointsYamlList(), "");
        final TestGateway two = replica("two", etcd.endpointsYamlList(), "");
        final AdminClient admin = new AdminClient(one.adminPort());

        assertThat(admin.put(PATH + "spe", body("127.0.0.10")).status()).isEqualTo(201);
        awaitWithin(Duration.ofSeconds(1), () -> reason(two, "127.0.0.10").equals("endpoint-pending"));

        assertThat(admin.post(PATH + "spe/approve", "").status()).isEqualTo(200);
        // The replica that answered has it in force for its very next request (SPEC §10).
        assertThat(status(one, "127.0.0.10")).isEqualTo(200);
        final long took = awaitWithin(Duration.ofSeconds(1), () -> status(two, "127.0.0.10") == 200);
        assertThat(took).isLessThan(1000);

        // Both replicas report the revision of the newest change, and neither is behind.
        final AdminClient.Answer replicasView = new AdminClient(two.adminPort()).get("/api/replicas");
        assertThat(replicasView.status()).isEqualTo(200);
        awaitWithin(Duration.ofSeconds(3), () -> {
            final AdminClient.Answer view = get(two, "/api/replicas");
            return view.json().path("value").size() == 2
                    && !view.json().path("value").get(0).path("behind").asBoolean(true)
                    && !view.json().path("value").get(1).path("behind").asBoolean(true);
        });
        final AdminClient.Answer view = get(one, "/api/replicas");
        final long newest = view.json().path("revision").asLong();
        assertThat(newest).isPositive();
        assertThat(view.json().path("value").findValuesAsText("id")).containsExactlyInAnyOrder("one", "two");
        assertThat(metric(scrape(two), "gateway_store_revision")).isEqualTo(newest);
        awaitWithin(Duration.ofSeconds(5), () -> metric(scrape(two), "gateway_store_up") == 1);
    }

    @Test
    void aChangeWrittenOnOneReplicaArrivesAsAnEventOnTheOthersStream() throws Exception {
        final TestGateway one = replica("one", etcd.endpointsYamlList(), "");
        final TestGateway two = replica("two", etcd.endpointsYamlList(), "");
        try (EventStreamClient events = EventStreamClient.open(two.adminPort(), TestGateway.ADMIN_TOKEN)) {
            assertThat(events.status()).isEqualTo(200);
            assertThat(events.next().isComment()).isTrue(); // subscribed
            assertThat(new AdminClient(one.adminPort()).put(PATH + "spe", body("127.0.0.10")).status())
                    .isEqualTo(201);
            final EventStreamClient.Event created = events.nextEvent();
            assertThat(created.type()).isEqualTo("endpoint");
            assertThat(created.json().get("name").asText()).isEqualTo("spe");
            assertThat(created.json().get("change").asText()).isEqualTo("created");
            assertThat(created.json().get("resource").get("properties").get("status").asText()).isEqualTo("Pending");
            assertThat(new AdminClient(one.adminPort()).post(PATH + "spe/approve", "").status()).isEqualTo(200);
            final EventStreamClient.Event approved = events.nextEvent();
            assertThat(approved.json().get("change").asText()).isEqualTo("updated");
            assertThat(approved.json().get("resource").get("properties").get("status").asText())
                    .isEqualTo("Approved");
        }
    }

    @Test
    void writesRacingOnTwoReplicasAreNoneLost() throws Exception {
        final TestGateway one = replica("one", etcd.endpointsYamlList(), "");
        final TestGateway two = replica("two", etcd.endpointsYamlList(), "");
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        final List<Future<Set<String>>> writers = new ArrayList<>();
        try {
            for (int w = 0; w < 4; w++) {
                final TestGateway target = w % 2 == 0 ? one : two;
                final int writer = w;
                writers.add(pool.submit(writes(target, writer)));
            }
            final Set<String> created = new TreeSet<>();
            for (Future<Set<String>> f : writers) {
                created.addAll(f.get());
            }
            assertThat(created).hasSize(4 * 15);
            for (TestGateway replica : List.of(one, two)) {
                awaitWithin(Duration.ofSeconds(2), () -> names(replica).equals(created));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private Callable<Set<String>> writes(TestGateway target, int writer) {
        return () -> {
            final AdminClient admin = new AdminClient(target.adminPort());
            final Set<String> done = new TreeSet<>();
            for (int i = 0; i < 15; i++) {
                final String name = "w" + writer + "-" + i;
                // Distinct addresses: only the race between writers can refuse a write here.
                final String ip = "10.2." + writer + "." + i;
                AdminClient.Answer answer;
                do {
                    answer = admin.put(PATH + name, body(ip));
                } while (answer.status() == 409);
                assertThat(answer.status()).as(answer.body()).isEqualTo(201);
                done.add(name);
            }
            return done;
        };
    }

    @Test
    void withoutQuorumCallsAreStillDecidedReadyzStaysUpAndWritesAnswer503() throws Exception {
        final TestGateway one = replica("one", etcd.endpointsYamlList(), "");
        final AdminClient admin = new AdminClient(one.adminPort());
        admin.put(PATH + "spe", body("127.0.0.10"));
        admin.post(PATH + "spe/approve", "");
        assertThat(status(one, "127.0.0.10")).isEqualTo(200);

        etcd.kill(1);
        etcd.kill(2);

        // Fail static: decisions go on with the set in force, and the replica stays in its load balancer.
        assertThat(status(one, "127.0.0.10")).isEqualTo(200);
        assertThat(reason(one, "127.0.0.99")).isEqualTo("public-network");
        assertThat(get(one, "/readyz").status()).isEqualTo(200);
        final long start = System.nanoTime();
        final AdminClient.Answer refused = admin.put(PATH + "other", body("127.0.0.11"));
        final long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.json().path("reason").asText()).isEqualTo("store-unavailable");
        // Within the store's timeout (1 s here), with room for a slow machine; never etcd's own 7 s.
        assertThat(tookMillis).isLessThan(4000);
        assertThat(admin.get(PATH + "spe").status()).isEqualTo(200);
        // The registry as the member left standing last knew it.
        assertThat(admin.get("/api/replicas").json().path("value").findValuesAsText("id")).containsExactly("one");
        awaitWithin(Duration.ofSeconds(10), () -> metric(scrape(one), "gateway_store_up") == 0);

        // Recovery: the same write goes through, and the watch brings changes again.
        etcd.restart(1);
        etcd.restart(2);
        etcd.awaitHealthy();
        awaitWithin(Duration.ofSeconds(15), () -> admin.put(PATH + "other", body("127.0.0.11")).status() == 201);
        assertThat(names(one)).containsExactly("other", "spe");
        awaitWithin(Duration.ofSeconds(10), () -> metric(scrape(one), "gateway_store_up") == 1);
    }

    @Test
    void aReplicaWhoseRevisionWasCompactedAwayReadsTheWholeSetAgain() throws Exception {
        final TestGateway one = replica("one", etcd.endpointsYamlList(), "");
        // The second replica reaches the cluster through member 2 only, so it can be cut off alone.
        final TestGateway two = replica("two", "[ \"" + etcd.clientEndpoint(2) + "\" ]", "");
        final AdminClient admin = new AdminClient(one.adminPort());
        admin.put(PATH + "spe", body("127.0.0.10"));
        awaitWithin(Duration.ofSeconds(2), () -> names(two).contains("spe"));

        etcd.kill(2);
        // Member 2 may have been the leader: the two left elect another before they take writes.
        etcd.awaitHealthy();
        awaitWithin(Duration.ofSeconds(10), () -> admin.post(PATH + "spe/approve", "").status() == 200);
        assertThat(admin.put(PATH + "later", body("127.0.0.11")).status()).isEqualTo(201);
        etcd.compact();
        etcd.restart(2);
        etcd.awaitHealthy();

        awaitWithin(Duration.ofSeconds(10), () -> status(two, "127.0.0.10") == 200);
        assertThat(names(two)).containsExactly("later", "spe");
        assertThat(metric(scrape(two), "gateway_store_resyncs_total")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aReplicaStartsFromItsCacheFileWhenTheWholeClusterIsDown() throws Exception {
        final Path cacheDir = Files.createDirectories(dir.resolve("cache"));
        final TestGateway one = replica("one", etcd.endpointsYamlList(), "    cacheFile: "
                + cacheDir.resolve("endpoints.cache.yaml") + "\n");
        final AdminClient admin = new AdminClient(one.adminPort());
        admin.put(PATH + "spe", body("127.0.0.10"));
        admin.post(PATH + "spe/approve", "");
        awaitWithin(Duration.ofSeconds(3), () -> Files.exists(cacheDir.resolve("endpoints.cache.yaml"))
                && Files.readString(cacheDir.resolve("endpoints.cache.yaml")).contains("Approved"));

        etcd.killAll();
        final TestGateway cached = replica("cached", etcd.endpointsYamlList(), "    cacheFile: "
                + cacheDir.resolve("endpoints.cache.yaml") + "\n");
        assertThat(get(cached, "/readyz").status()).isEqualTo(200);
        assertThat(status(cached, "127.0.0.10")).isEqualTo(200);
        assertThat(reason(cached, "127.0.0.11")).isEqualTo("public-network");

        // Without a cache file there is nothing to decide with: not ready, and 503 store-unavailable.
        final TestGateway bare = replica("bare", etcd.endpointsYamlList(), "");
        assertThat(get(bare, "/readyz").status()).isEqualTo(503);
        try (RawClient caller = new RawClient("127.0.0.10", bare.port())) {
            final RawClient.Response response = caller.send(CALL).read();
            assertThat(response.status()).isEqualTo(503);
            assertThat(response.bodyText()).contains("store-unavailable");
        }

        etcd.restartAll();
        etcd.awaitHealthy();
        awaitWithin(Duration.ofSeconds(15), () -> get(bare, "/readyz").status() == 200);
        assertThat(status(bare, "127.0.0.10")).isEqualTo(200);
    }

    // ---- the rig ----------------------------------------------------------------------------------------

    /** SPEC §12: the audit one replica writes under {@code PREFIX + "audit/"} is answered by another. */
    @Test
    void theAuditWrittenByOneReplicaIsAnsweredByAnotherNewestFirst() throws Exception {
        final TestGateway a = replicaWithTokens("a");
        final TestGateway b = replicaWithTokens("b");
        final AdminClient alice = new AdminClient(a.adminPort()).withToken(TestGateway.APPROVER_TOKEN);
        final AdminClient readerOnB = new AdminClient(b.adminPort()).withToken(TestGateway.READER_TOKEN);

        assertThat(alice.put(PATH + "spe", body("127.0.0.10")).status()).isEqualTo(201);
        assertThat(alice.post(PATH + "spe/approve", "{\"description\":\"fine\"}").status()).isEqualTo(200);
        assertThat(new AdminClient(a.adminPort()).withToken(TestGateway.READER_TOKEN).post(PATH + "spe/reject", null)
                .status()).isEqualTo(403);
        // b computes its change from the set it has in force: let the approval reach it first.
        awaitWithin(Duration.ofSeconds(1), () -> status(b, "127.0.0.10") == 200);
        assertThat(new AdminClient(b.adminPort()).delete(PATH + "spe").status()).isEqualTo(204);

        final AdminClient.Answer history = readerOnB.get("/api/audit?endpoint=spe");
        assertThat(history.status()).isEqualTo(200);
        final JsonNode value = history.json().get("value");
        assertThat(value).extracting(r -> r.get("action").asText() + " by " + r.get("actor").asText() + " on "
                + r.get("replica").asText()).containsExactly("delete by admin on b", "approve by alice on a",
                "create by alice on a");
        assertThat(value.get(1).get("statusBefore").asText()).isEqualTo("Pending");
        assertThat(value.get(1).get("statusAfter").asText()).isEqualTo("Approved");
        assertThat(value.get(1).get("description").asText()).isEqualTo("fine");
        assertThat(value.get(0).get("statusAfter").isNull()).isTrue();
        // The history is the store's, not the answering process's: a replica that made none of it has it all.
        final AdminClient c = new AdminClient(replicaWithTokens("c").adminPort());
        assertThat(c.get("/api/audit?endpoint=SPE").json().get("value")).isEqualTo(value);
        assertThat(readerOnB.get("/api/audit?endpoint=sp").json().get("value")).isEmpty();
    }

    static final String PATH = "/api/shared-private-endpoints/";
    static final String CALL = "POST /api/hub HTTP/1.1\r\nHost: func-a.example\r\nContent-Length: 0\r\n\r\n";

    private TestGateway replica(String id, String endpoints, String extra) throws Exception {
        return replica(id, endpoints, extra, "");
    }

    /** A replica with the reader and approver tokens of {@link TestGateway#ADMIN_WITH_ROLES}. */
    private TestGateway replicaWithTokens(String id) throws Exception {
        return replica(id, etcd.endpointsYamlList(), "", TestGateway.ADMIN_WITH_ROLES);
    }

    /**
     * @param storeExtra more keys of {@code sharedPrivateEndpoints.etcd}
     * @param gatewayExtra more top-level YAML of {@code gateway.yaml}
     */
    private TestGateway replica(String id, String endpoints, String storeExtra, String gatewayExtra)
            throws Exception {
        final Path folder = Files.createDirectories(dir.resolve(id));
        final String store = "  etcd:\n    endpoints: " + endpoints + "\n    prefix: " + prefix
                + "\n    timeout: 1s\n    replicaId: " + id + "\n" + storeExtra;
        final TestGateway gateway = TestGateway.start(folder, TestGateway.gatewayYamlWithStore(
                TestGateway.upstream("func-a", TestGateway.RESOURCE, backend.url(), ""), gatewayExtra, store), null);
        replicas.add(gateway);
        return gateway;
    }

    static String body(String ip) {
        return "{\"properties\":{\"groupId\":\"sites\",\"privateLinkResourceId\":\"" + TestGateway.RESOURCE
                + "\",\"privateIps\":[\"" + ip + "\"]}}";
    }

    static int status(TestGateway gateway, String source) throws IOException {
        try (RawClient caller = new RawClient(source, gateway.port())) {
            return caller.send(CALL).read().status();
        }
    }

    static String reason(TestGateway gateway, String source) throws IOException {
        try (RawClient caller = new RawClient(source, gateway.port())) {
            final String reason = caller.send(CALL).read().header("X-Gateway-Deny-Reason");
            return reason == null ? "" : reason;
        }
    }

    /** The value of an unlabelled sample. */
    static long metric(String scrape, String name) {
        final Double value = PrometheusText.parse(scrape).value(name, java.util.Map.of());
        if (value == null) {
            throw new AssertionError(name + " is not in the scrape");
        }
        return value.longValue();
    }

    static AdminClient.Answer get(TestGateway gateway, String path) throws IOException, InterruptedException {
        return new AdminClient(gateway.adminPort()).get(path);
    }

    static String scrape(TestGateway gateway) throws IOException, InterruptedException {
        return get(gateway, "/metrics").body();
    }

    static Set<String> names(TestGateway gateway) throws IOException, InterruptedException {
        final Set<String> names = new TreeSet<>();
        get(gateway, PATH.substring(0, PATH.length() - 1)).json().path("value")
                .forEach(r -> names.add(r.path("name").asText()));
        return names;
    }

    /** A condition that may throw, polled until it holds. */
    @FunctionalInterface
    interface Check {
        boolean holds() throws Exception;
    }

    /**
     * Polls until {@code check} holds and returns how long that took in milliseconds; fails after
     * {@code limit}.
     */
    static long awaitWithin(Duration limit, Check check) throws Exception {
        final long start = System.nanoTime();
        final long deadline = start + limit.toNanos();
        while (true) {
            if (check.holds()) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not true within " + limit);
            }
            Thread.sleep(5);
        }
    }
}
