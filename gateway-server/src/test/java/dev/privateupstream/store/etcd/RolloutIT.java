package dev.privateupstream.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.privateupstream.cli.GatewayCommand;
import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.EtcdCluster;
import dev.privateupstream.testing.ExternalProcess;
import dev.privateupstream.testing.FreePorts;
import dev.privateupstream.testing.GatewayProcess;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling restart with no failed call (issue 16): a real HAProxy (Debian's) balances a steady stream of
 * allowed calls over three gateway processes (the real jar) that share their endpoints through a real
 * 3-member etcd cluster. The replicas are replaced one at a time (SIGTERM, drain, a new process on the same
 * ports), and an etcd member is killed on the way; an approval made during the rollout is in force on
 * every replica within 1 second.
 *
 * <p>HAProxy does what an operator's load balancer does: it checks {@code /readyz} every 100 ms, retries a
 * call that reached no gateway or that a draining gateway answered {@code 503} ({@code retry-on}), and
 * tells the gateways the caller in {@code X-Forwarded-For}, which they believe from 127.0.0.1 only.
 */
class RolloutIT {
    @RegisterExtension
    static final EtcdCluster etcd = EtcdCluster.members(3);

    @TempDir
    Path dir;

    @Test
    void replacingEveryReplicaWhileAnEtcdMemberDiesFailsNoAllowedCall() throws Exception {
        final Path haproxyBinary = ExternalProcess.require("haproxy", List.of("/usr/sbin/haproxy",
                "/usr/bin/haproxy"));
        final String prefix = etcd.uniquePrefix();
        final int[] proxyPorts = {FreePorts.next(), FreePorts.next(), FreePorts.next()};
        final int[] adminPorts = {FreePorts.next(), FreePorts.next(), FreePorts.next()};
        final int front = FreePorts.next();
        final List<Path> configs = new ArrayList<>();
        final GatewayProcess[] replicas = new GatewayProcess[3];
        Process haproxy = null;
        try (RecordingBackend backend = RecordingBackend.start()) {
            for (int i = 0; i < 3; i++) {
                configs.add(writeConfig(i, proxyPorts[i], adminPorts[i], prefix, backend.url()));
            }
            seed(configs.get(0));
            for (int i = 0; i < 3; i++) {
                replicas[i] = GatewayProcess.start(configs.get(i), dir.resolve("logs"), "r" + i + "-0");
                awaitReady(adminPorts[i]);
            }
            haproxy = startHaproxy(haproxyBinary, front, proxyPorts, adminPorts);

            final Load load = new Load(front);
            load.start();
            awaitCalls(load, 200);

            for (int i = 0; i < 3; i++) {
                if (i == 1) {
                    // On the way: one etcd member dies. Two keep quorum; nothing may notice.
                    etcd.kill(0);
                }
                replicas[i].terminate();
                assertThat(replicas[i].awaitExit(Duration.ofSeconds(20))).as("replica %d exit", i).isEqualTo(0);
                replicas[i] = GatewayProcess.start(configs.get(i), dir.resolve("logs"), "r" + i + "-1");
                awaitReady(adminPorts[i]);
                awaitCalls(load, load.ok.get() + 100);
                if (i == 1) {
                    approveDuringTheRollout(adminPorts, proxyPorts, replicas);
                }
            }
            awaitCalls(load, load.ok.get() + 200);
            load.stop();

            assertThat(load.failures).as("failed allowed calls").isEmpty();
            assertThat(load.ok.get()).isGreaterThan(500);
        } finally {
            if (haproxy != null) {
                haproxy.destroy();
                haproxy.waitFor(5, TimeUnit.SECONDS);
            }
            for (GatewayProcess replica : replicas) {
                if (replica != null) {
                    replica.close();
                }
            }
            if (!etcd.running(0)) {
                etcd.restart(0);
            }
        }
    }

    /** A new endpoint for 127.0.0.11, approved on replica 0: in force on every replica within 1 second. */
    private static void approveDuringTheRollout(int[] adminPorts, int[] proxyPorts, GatewayProcess[] replicas)
            throws Exception {
        final AdminClient admin = new AdminClient(adminPorts[0]);
        assertThat(admin.put(EtcdReplicasIT.PATH + "late", EtcdReplicasIT.body("127.0.0.11")).status())
                .isEqualTo(201);
        assertThat(admin.post(EtcdReplicasIT.PATH + "late/approve", "").status()).isEqualTo(200);
        final long approved = System.nanoTime();
        for (int j = 0; j < 3; j++) {
            assertThat(replicas[j].isAlive()).isTrue();
            final int port = proxyPorts[j];
            EtcdReplicasIT.awaitWithin(Duration.ofSeconds(1).minusNanos(System.nanoTime() - approved),
                    () -> statusFrom("127.0.0.11", port) == 200);
        }
    }

    /** Calls from 127.0.0.10 through HAProxy, one after the other on keep-alive connections. */
    private static final class Load implements Runnable {
        private final int port;
        private final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicInteger ok = new AtomicInteger();
        final Map<Integer, String> failures = new ConcurrentHashMap<>();
        private final Thread thread = new Thread(this, "rollout-load");

        Load(int port) {
            this.port = port;
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }

        @Override
        public void run() {
            RawClient client = null;
            int call = 0;
            while (running.get()) {
                call++;
                try {
                    if (client == null) {
                        client = new RawClient("127.0.0.10", port);
                    }
                    final RawClient.Response response = client.send(EtcdReplicasIT.CALL).read();
                    if (response.status() == 200) {
                        ok.incrementAndGet();
                    } else {
                        failures.put(call, response.status() + " " + response.bodyText());
                    }
                    if ("close".equalsIgnoreCase(response.header("Connection"))) {
                        client.close();
                        client = null;
                    }
                    Thread.sleep(2);
                } catch (IOException e) {
                    failures.put(call, e.toString());
                    client = closeQuietly(client);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            closeQuietly(client);
        }

        private static RawClient closeQuietly(RawClient client) {
            if (client != null) {
                try {
                    client.close();
                } catch (IOException ignored) {
                    // Already failed; nothing more to learn.
                }
            }
            return null;
        }
    }

    private static void awaitCalls(Load load, int count) throws Exception {
        EtcdReplicasIT.awaitWithin(Duration.ofSeconds(60), () -> load.ok.get() >= count);
    }

    private Path writeConfig(int i, int proxyPort, int adminPort, String prefix, String backendUrl)
            throws IOException {
        final Path folder = Files.createDirectories(dir.resolve("r" + i));
        final Path config = folder.resolve("gateway.yaml");
        Files.writeString(config, "listen:\n  address: 127.0.0.1\n  port: " + proxyPort + "\n"
                + "  trustedProxies: [ 127.0.0.1 ]\n  forwardedHeader: x-forwarded-for\n"
                + "limits:\n  drainTimeout: 10s\n"
                + "admin:\n  address: 127.0.0.1\n  port: " + adminPort + "\n  token: " + TestGateway.ADMIN_TOKEN + "\n"
                + "upstreams:\n" + TestGateway.upstream("func-a", TestGateway.RESOURCE, backendUrl, "")
                + "sharedPrivateEndpoints:\n  etcd:\n    endpoints: " + etcd.endpointsYamlList() + "\n"
                + "    prefix: " + prefix + "\n    timeout: 1s\n    replicaId: r" + i + "\n");
        return config;
    }

    /** The approved endpoint, imported with the jar's own command. */
    private void seed(Path config) throws IOException {
        final Path file = dir.resolve("seed.yaml");
        Files.writeString(file, TestGateway.endpoint("approved", TestGateway.RESOURCE, "Approved", "127.0.0.10"));
        final int exit = GatewayCommand.commandLine().execute("store", "import", "--config", config.toString(),
                "--file", file.toString());
        assertThat(exit).isEqualTo(0);
    }

    private Process startHaproxy(Path binary, int front, int[] proxyPorts, int[] adminPorts) throws Exception {
        final StringBuilder servers = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            servers.append("    server r").append(i).append(" 127.0.0.1:").append(proxyPorts[i])
                    .append(" check port ").append(adminPorts[i]).append('\n');
        }
        final Path config = dir.resolve("haproxy.cfg");
        Files.writeString(config, String.join("\n",
                "global",
                "    maxconn 256",
                "defaults",
                "    mode http",
                "    timeout connect 1s",
                "    timeout client 30s",
                "    timeout server 10s",
                "    option redispatch",
                "    retries 3",
                "    retry-on conn-failure empty-response 503",
                "frontend calls",
                "    bind 127.0.0.1:" + front,
                "    option forwardfor",
                "    default_backend gateways",
                "backend gateways",
                "    balance roundrobin",
                "    option httpchk GET /readyz",
                "    http-check expect status 200",
                "    default-server inter 100ms fall 1 rise 2",
                servers.toString()));
        final Process process = new ProcessBuilder(binary.toString(), "-f", config.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            if (!process.isAlive()) {
                fail("haproxy exited " + process.exitValue() + ":\n" + Files.readString(dir.resolve("haproxy.log")));
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", front), 500);
                return process;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    private static void awaitReady(int adminPort) throws Exception {
        final AdminClient admin = new AdminClient(adminPort);
        EtcdReplicasIT.awaitWithin(Duration.ofSeconds(30), () -> {
            try {
                return admin.get("/readyz").status() == 200;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static int statusFrom(String source, int port) throws IOException {
        try (RawClient caller = new RawClient(source, port)) {
            return caller.send(EtcdReplicasIT.CALL).read().status();
        }
    }

}
