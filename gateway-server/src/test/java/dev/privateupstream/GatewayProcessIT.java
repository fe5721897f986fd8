package dev.privateupstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.GatewayProcess;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar as a real process: SIGTERM drains as SPEC §9 says and exits 0, and a change made through
 * the admin API survives a restart.
 */
class GatewayProcessIT {
    private static final String REQUEST = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private RecordingBackend backend;
    private Path config;
    private final List<GatewayProcess> processes = new ArrayList<>();

    @BeforeEach
    void files() throws Exception {
        backend = RecordingBackend.start();
        config = TestGateway.writeStandardFiles(dir, backend, "limits:\n  drainTimeout: 30s\n");
    }

    @AfterEach
    void stop() throws Exception {
        backend.releaseReplies();
        for (GatewayProcess process : processes) {
            process.close();
        }
        backend.close();
    }

    private GatewayProcess start(String name) throws Exception {
        final GatewayProcess process = GatewayProcess.start(config, dir.resolve("logs"), name);
        processes.add(process);
        return process;
    }

    private static int status(String source, int port) throws IOException {
        try (RawClient client = new RawClient(source, port)) {
            return client.send(REQUEST).read().status();
        }
    }

    private static boolean refused(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }

    @Test
    void sigtermLetsInFlightRequestsFinishRefusesNewConnectionsAndExitsZero() throws Exception {
        final GatewayProcess gateway = start("drain");
        final AdminClient admin = new AdminClient(gateway.adminPort(), null);
        assertThat(admin.get("/readyz").status()).isEqualTo(200);
        final RawClient idle = new RawClient("127.0.0.10", gateway.proxyPort());
        final List<RawClient> inFlight = new ArrayList<>();
        try {
            assertThat(idle.send(REQUEST).read().status()).isEqualTo(200);
            backend.holdReplies();
            for (int i = 0; i < 3; i++) {
                inFlight.add(new RawClient("127.0.0.10", gateway.proxyPort()).send(REQUEST));
            }
            assertThat(backend.awaitCount(4, PATIENCE)).isTrue();

            gateway.terminate();

            // The backend holds its replies, so the drain cannot end before the checks below.
            final long deadline = System.nanoTime() + PATIENCE.toNanos();
            int ready = admin.get("/readyz").status();
            while (ready == 200 && System.nanoTime() < deadline) {
                Thread.sleep(10);
                ready = admin.get("/readyz").status();
            }
            assertThat(ready).as("/readyz while draining").isEqualTo(503);
            boolean refused = refused(gateway.proxyPort());
            while (!refused && System.nanoTime() < deadline) {
                Thread.sleep(10);
                refused = refused(gateway.proxyPort());
            }
            assertThat(refused).as("a new connection to the proxy while draining is refused").isTrue();
            assertThat(idle.timeout(10_000).closedByServer()).as("the idle keep-alive connection is closed").isTrue();
            assertThat(gateway.isAlive()).isTrue();
            assertThat(admin.get("/healthz").status()).isEqualTo(200);

            backend.releaseReplies();
            for (RawClient client : inFlight) {
                final RawClient.Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("Connection")).isEqualTo("close");
                assertThat(response.bodyText()).isEqualTo("{\"ok\":true}");
            }
        } finally {
            idle.close();
            for (RawClient client : inFlight) {
                client.close();
            }
        }
        assertThat(gateway.awaitExit(PATIENCE)).as("exit code").isZero();
        assertThat(backend.received()).hasSize(4);
        // The access log went to standard output, one JSON object per line.
        final ObjectMapper json = new ObjectMapper();
        final List<String> lines = gateway.stdout().lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).hasSize(4).allSatisfy(line ->
                assertThat(json.readTree(line).get("outcome").asText()).isEqualTo("forwarded"));
        assertThat(gateway.stderr()).contains("draining").doesNotContain("Exception");
    }

    @Test
    void anApprovalThroughTheApiSurvivesARestart() throws Exception {
        GatewayProcess gateway = start("first");
        assertThat(status("127.0.0.20", gateway.proxyPort())).isEqualTo(403);
        final AdminClient.Answer approved = new AdminClient(gateway.adminPort())
                .post("/api/shared-private-endpoints/pending/approve", "{\"description\":\"ok\"}");
        assertThat(approved.status()).isEqualTo(200);
        assertThat(status("127.0.0.20", gateway.proxyPort())).isEqualTo(200);
        gateway.terminate();
        assertThat(gateway.awaitExit(PATIENCE)).isZero();

        gateway = start("second");
        final AdminClient.Answer after = new AdminClient(gateway.adminPort()).get("/api/shared-private-endpoints/pending");
        assertThat(after.status()).isEqualTo(200);
        assertThat(after.json().get("properties").get("status").asText()).isEqualTo("Approved");
        assertThat(after.json().get("properties").get("description").asText()).isEqualTo("ok");
        assertThat(status("127.0.0.20", gateway.proxyPort())).isEqualTo(200);
        gateway.terminate();
        assertThat(gateway.awaitExit(PATIENCE)).isZero();
    }
}
