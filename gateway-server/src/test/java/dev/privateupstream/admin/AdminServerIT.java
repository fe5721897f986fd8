package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.AdminClient.Answer;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestGateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin server's routes besides the API: health, readiness through a drain, the page's files. */
class AdminServerIT {
    @TempDir
    Path dir;

    private RecordingBackend backend;
    private TestGateway gateway;
    private AdminClient admin;

    @BeforeEach
    void start() throws Exception {
        backend = RecordingBackend.start();
        gateway = TestGateway.standard(dir, backend, "");
        admin = new AdminClient(gateway.adminPort(), null);
    }

    @AfterEach
    void stop() throws Exception {
        backend.releaseReplies();
        gateway.close();
        backend.close();
    }

    @Test
    void healthAndReadinessNeedNoToken() throws Exception {
        assertThat(admin.get("/healthz").status()).isEqualTo(200);
        final Answer ready = admin.get("/readyz");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
    }

    @Test
    void readinessTurns503WhileDrainingAndTheAdminServerStaysUp() throws Exception {
        backend.holdReplies();
        try (RawClient inFlight = new RawClient("127.0.0.10", gateway.port())) {
            inFlight.send("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
            assertThat(backend.awaitCount(1, Duration.ofSeconds(5))).isTrue();
            final CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return gateway.server().drain(Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Answer ready = admin.get("/readyz");
            while (ready.status() == 200 && System.nanoTime() < deadline) {
                Thread.sleep(10);
                ready = admin.get("/readyz");
            }
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.body()).contains("draining");
            assertThat(admin.get("/healthz").status()).isEqualTo(200);
            assertThat(admin.get("/metrics").status()).isEqualTo(200);
            assertThat(drained).isNotDone();

            backend.releaseReplies();
            final RawClient.Response response = inFlight.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(drained.get()).isTrue();
        }
    }

    @Test
    void servesThePageFromTheJarWithASafeContentPolicy() throws Exception {
        final Answer page = admin.get("/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(page.header("Content-Security-Policy")).contains("script-src 'self'").contains("frame-ancestors 'none'");
        assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(page.body()).contains("Shared private endpoints").contains("admin.js").contains("admin.css")
                .doesNotContain("http://").doesNotContain("https://");
        assertThat(admin.get("/admin.js").header("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(admin.get("/admin.css").header("Content-Type")).isEqualTo("text/css; charset=utf-8");
        assertThat(admin.get("/index.html").body()).isEqualTo(page.body());
        assertThat(admin.get("/admin.js?v=1").status()).isEqualTo(200);
    }

    @Test
    void unknownPathsAnd404AndOtherMethods405() throws Exception {
        assertThat(admin.get("/nothing").status()).isEqualTo(404);
        assertThat(admin.get("/../etc/passwd").status()).isEqualTo(404);
        final Answer post = admin.post("/healthz", "{}");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.header("Allow")).isEqualTo("GET");
    }

    @Test
    void refusesABodyOver64KiB() throws Exception {
        final Answer answer = new AdminClient(gateway.adminPort()).put("/api/shared-private-endpoints/big",
                "{\"properties\":{\"requestMessage\":\"" + "x".repeat(70 * 1024) + "\"}}");
        assertThat(answer.status()).isEqualTo(413);
        assertThat(new AdminClient(gateway.adminPort()).get("/api/shared-private-endpoints/big").status())
                .isEqualTo(404);
    }

    @Test
    void keepsAnswersInOrderOnAKeepAliveConnection() throws Exception {
        try (RawClient client = new RawClient("127.0.0.1", gateway.adminPort())) {
            final String auth = "Authorization: Bearer " + TestGateway.ADMIN_TOKEN + "\r\n";
            // Pipelined: an API change (answered from the configuration thread) then a plain GET.
            client.send("POST /api/shared-private-endpoints/pending/approve HTTP/1.1\r\nHost: a\r\n" + auth
                    + "Content-Length: 0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
            final RawClient.Response first = client.read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.bodyText()).contains("\"status\":\"Approved\"");
            final RawClient.Response second = client.read();
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.bodyText()).isEqualTo("ok\n");
        }
    }
}
