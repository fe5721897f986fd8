package dev.privateupstream.reload;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.privateupstream.GatewayServer;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.TestGateway;
import dev.privateupstream.testing.TestTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Live reload of both files (SPEC §4): valid edits are applied as one swap without disturbing traffic,
 * invalid ones are logged with their location, counted and ignored, and a revocation reaches open
 * keep-alive connections at their next request.
 */
class ConfigReloadIT {
    private static final String REQUEST = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
    private static final String APPROVED = TestGateway.endpoint("approved", TestGateway.RESOURCE, "Approved",
            "127.0.0.10");
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.standard(backend);

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    // The package's logger: gateway.yaml changes are logged by ConfigWatcher, endpoint sets by SnapshotSink.
    private final Logger watcherLogger = (Logger) LoggerFactory.getLogger(ConfigWatcher.class.getPackageName());

    @BeforeEach
    void captureWatcherLog() {
        log.start();
        watcherLogger.addAppender(log);
    }

    @AfterEach
    void detachWatcherLog() {
        watcherLogger.detachAppender(log);
    }

    /** Replaces the file the way tools that care do: a new file renamed over the old one. */
    private static void writeAtomically(Path file, String text) throws IOException {
        final Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temp, text);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** A fresh connection per request, closed at once: the storm opens thousands. */
    private int status(String source) throws IOException {
        try (RawClient client = gateway.caller(source)) {
            return client.send(REQUEST).read().status();
        }
    }

    private GatewayMetrics metrics() {
        return gateway.server().metrics();
    }

    @Test
    void aStormOfValidAndInvalidRewritesFailsNoAllowedRequest() throws Exception {
        final Path endpoints = gateway.dir().resolve("endpoints.yaml");
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicInteger answered = new AtomicInteger();
        final List<String> failures = new CopyOnWriteArrayList<>();
        // One caller on a keep-alive connection, one opening a connection per request.
        final Thread keepAlive = new Thread(() -> {
            try (RawClient client = gateway.caller("127.0.0.10")) {
                while (running.get()) {
                    final RawClient.Response response = client.send(REQUEST).read();
                    if (response.status() != 200) {
                        failures.add("keep-alive: " + response.status() + " " + response.bodyText());
                    }
                    answered.incrementAndGet();
                }
            } catch (IOException e) {
                failures.add("keep-alive: " + e);
            }
        }, "storm-keep-alive");
        final Thread fresh = new Thread(() -> {
            while (running.get()) {
                try {
                    final int status = status("127.0.0.10");
                    if (status != 200) {
                        failures.add("fresh: " + status);
                    }
                    answered.incrementAndGet();
                } catch (IOException e) {
                    failures.add("fresh: " + e);
                }
            }
        }, "storm-fresh");
        keepAlive.start();
        fresh.start();

        // Every valid version keeps 'approved' approved, first in the file; the invalid ones break it in
        // every way the loader knows: syntax, unknown keys, clashes, unknown resources, an empty file.
        final String[] invalid = {
            APPROVED + "- name: [unclosed\n",
            APPROVED.replace("  status: Approved\n", "  status: Approved\n  colour: blue\n"),
            APPROVED + TestGateway.endpoint("thief", TestGateway.RESOURCE, "Pending", "127.0.0.10"),
            APPROVED + TestGateway.endpoint("lost", "/subscriptions/none", "Pending", "10.9.9.9"),
            "",
        };
        final String[] statuses = {"Pending", "Approved", "Rejected", "Disconnected", "Timeout"};
        final Random random = new Random(4);
        final int rewrites = 300;
        for (int i = 0; i < rewrites; i++) {
            final String text = i % 2 == 0
                    ? APPROVED + TestGateway.endpoint("churn-" + i, TestGateway.RESOURCE,
                            statuses[random.nextInt(statuses.length)], "10.77." + (i / 200) + "." + (i % 200))
                    : invalid[random.nextInt(invalid.length)];
            if (random.nextInt(3) == 0) {
                Files.writeString(endpoints, text); // in place, as `cp` or a careless editor does
            } else {
                writeAtomically(endpoints, text);
            }
            if (i % 60 == 30) {
                writeAtomically(gateway.dir().resolve("gateway.yaml"), TestGateway.standardYaml(backend.get(),
                        "limits:\n  idleTimeout: " + (60 + i) + "s\n"));
            }
            Thread.sleep(random.nextInt(25));
        }
        // End on known ground: a valid file, then an invalid one, each seen and dealt with.
        writeAtomically(endpoints, APPROVED + TestGateway.endpoint("final", TestGateway.RESOURCE, "Approved",
                "127.0.0.90"));
        await("the final file in force", () -> gateway.server().policy().get().endpoint("final") != null);
        final long rejected = metrics().reloads(false);
        writeAtomically(endpoints, invalid[0]);
        await("the last broken file rejected", () -> metrics().reloads(false) > rejected);
        running.set(false);
        keepAlive.join(PATIENCE.toMillis());
        fresh.join(PATIENCE.toMillis());

        assertThat(failures).isEmpty();
        assertThat(answered.get()).isGreaterThan(50);
        assertThat(metrics().reloads(true)).isPositive();
        assertThat(metrics().reloads(false)).isPositive();
        assertThat(gateway.server().policy().get().endpoint("final")).isNotNull();
        assertThat(status("127.0.0.90")).isEqualTo(200);
        assertThat(metrics().scrape()).contains("gateway_config_reloads_total{result=\"applied\"}")
                .contains("gateway_config_reloads_total{result=\"rejected\"}");
    }

    @Test
    void aBurstOfWritesIsTakenInStepsEndingWithTheNewestFile() throws Exception {
        final Path endpoints = gateway.dir().resolve("endpoints.yaml");
        final long applied = metrics().reloads(true);
        final int writes = 20;
        for (int i = 1; i <= writes; i++) {
            writeAtomically(endpoints, TestGateway.STANDARD_ENDPOINTS
                    + TestGateway.endpoint("burst-" + i, TestGateway.RESOURCE, "Approved", "127.0.0." + (100 + i)));
            Thread.sleep(50);
        }
        await("the newest write in force", () -> gateway.server().policy().get().endpoint("burst-" + writes) != null);
        // About a second of writes: one reload at once, then one per second of spacing, never one per write.
        final long reloads = metrics().reloads(true) - applied;
        assertThat(reloads).isBetween(1L, 6L);
        assertThat(gateway.server().policy().get().endpoint("burst-" + (writes - 1))).isNull();
    }

    @Test
    void anInvalidEditIsLoggedWithItsLocationCountedAndIgnored() throws Exception {
        final long generation = gateway.server().policy().get().generation();
        writeAtomically(gateway.dir().resolve("endpoints.yaml"), TestGateway.STANDARD_ENDPOINTS
                .replace("status: Pending", "status: Bogus"));
        await("the edit rejected", () -> metrics().reloads(false) == 1);
        assertThat(metrics().reloads(true)).isZero();
        assertThat(gateway.server().policy().get().generation()).isEqualTo(generation);
        // Five lines per entry: the second entry's status is on line 9.
        assertThat(log.list).anySatisfy(event -> assertThat(event.getFormattedMessage())
                .contains("rejected").contains(gateway.dir().resolve("endpoints.yaml") + ":9: [1].status: "));
        assertThat(status("127.0.0.10")).isEqualTo(200);
        assertThat(status("127.0.0.20")).isEqualTo(403);
    }

    @Test
    void aHandEditRevokesAnEndpointOnAnOpenKeepAliveConnection() throws Exception {
        final RawClient client = gateway.caller("127.0.0.10");
        assertThat(client.send(REQUEST).read().status()).isEqualTo(200);
        // In place, as an operator's editor may write it.
        Files.writeString(gateway.dir().resolve("endpoints.yaml"), TestGateway.STANDARD_ENDPOINTS
                .replace("approved\n  groupId: sites\n  privateLinkResourceId: " + TestGateway.RESOURCE
                        + "\n  status: Approved", "approved\n  groupId: sites\n  privateLinkResourceId: "
                        + TestGateway.RESOURCE + "\n  status: Rejected"));
        await("the edit applied", () -> metrics().reloads(true) == 1);
        final RawClient.Response refused = client.send(REQUEST).read();
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.header("X-Gateway-Deny-Reason")).isEqualTo("endpoint-rejected");
        assertThat(backend.received()).hasSize(1);
    }

    @Test
    void aGatewayYamlEditAppliesEverythingButTheListeners() throws Exception {
        final int port = gateway.port();
        final AdminClient oldToken = gateway.admin();
        assertThat(oldToken.get("/api/shared-private-endpoints").status()).isEqualTo(200);
        writeAtomically(gateway.dir().resolve("gateway.yaml"), TestGateway.standardYaml(backend.get(),
                "admin:\n  address: 127.0.0.1\n  port: 19999\n  token: rotated-token\n")
                .replace("port: 0", "port: 18080"));
        await("the edit applied", () -> metrics().reloads(true) == 1);
        assertThat(oldToken.get("/api/shared-private-endpoints").status()).isEqualTo(401);
        assertThat(oldToken.withToken("rotated-token").get("/api/shared-private-endpoints").status()).isEqualTo(200);
        assertThat(log.list).anySatisfy(event -> assertThat(event.getFormattedMessage())
                .contains("listen.port changed from 0 to 18080: it applies at the next start"));
        assertThat(log.list).anySatisfy(event -> assertThat(event.getFormattedMessage())
                .contains("admin.port changed from 0 to 19999: it applies at the next start"));
        assertThat(gateway.port()).isEqualTo(port);
        assertThat(status("127.0.0.10")).isEqualTo(200);
    }

    @Test
    void aConfigMapSwappingItsDataSymlinkIsApplied(@TempDir Path dir) throws Exception {
        // A gateway of its own, started by hand on a ConfigMap's layout; the standard one is left alone.
        // kubelet's layout: endpoints.yaml -> ..data/endpoints.yaml, ..data -> ..2024_01_01_v1
        final Path mount = Files.createDirectory(dir.resolve("configmap"));
        Files.createDirectory(mount.resolve("..v1"));
        Files.writeString(mount.resolve("..v1/endpoints.yaml"), TestGateway.STANDARD_ENDPOINTS);
        Files.createSymbolicLink(mount.resolve("..data"), Path.of("..v1"));
        Files.createSymbolicLink(mount.resolve("endpoints.yaml"), Path.of("..data/endpoints.yaml"));
        Files.writeString(dir.resolve("gateway.yaml"), TestGateway.standardYaml(backend.get(), "")
                .replace("file: endpoints.yaml", "file: configmap/endpoints.yaml"));
        final ConfigLoader loader = new ConfigLoader(Map.of());
        final GatewayServer server = GatewayServer.start(loader.load(dir.resolve("gateway.yaml")), loader,
                new GatewayMetrics(), 1, TestTransport.chosen());
        try {
            try (RawClient client = new RawClient("127.0.0.20", server.listenAddress().getPort())) {
                assertThat(client.send(REQUEST).read().status()).isEqualTo(403);
            }
            Files.createDirectory(mount.resolve("..v2"));
            Files.writeString(mount.resolve("..v2/endpoints.yaml"), TestGateway.STANDARD_ENDPOINTS
                    .replace("status: Pending", "status: Approved"));
            Files.createSymbolicLink(mount.resolve("..data_tmp"), Path.of("..v2"));
            Files.move(mount.resolve("..data_tmp"), mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            await("the new ConfigMap version in force", () -> server.metrics().reloads(true) == 1);
            try (RawClient client = new RawClient("127.0.0.20", server.listenAddress().getPort())) {
                assertThat(client.send(REQUEST).read().status()).isEqualTo(200);
            }
        } finally {
            server.close();
        }
    }
}
