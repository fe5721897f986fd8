package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.AdminClient.Answer;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.EventStreamClient;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.OpenApiContract;
import dev.privateupstream.testing.PrometheusText;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.TestGateway;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The admin server's routes besides the API: health, readiness through a drain, the page's files. */
class AdminServerIT {
    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.standard(backend);

    /** None of these routes needs the token, so they are called without one. */
    private AdminClient anonymous() {
        return gateway.admin().withToken(null);
    }

    @Test
    void healthAndReadinessNeedNoToken() throws Exception {
        assertThat(anonymous().get("/healthz").status()).isEqualTo(200);
        final Answer ready = anonymous().get("/readyz");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
    }

    @Test
    void readinessTurns503WhileDrainingAndTheAdminServerStaysUp() throws Exception {
        assertThat(draining()).isEqualTo(0.0);
        backend.get().holdReplies();
        try (RawClient inFlight = gateway.caller("127.0.0.10")) {
            inFlight.send("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
            assertThat(backend.get().awaitCount(1, Duration.ofSeconds(5))).isTrue();
            final CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return gateway.server().drain(Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Answer ready = anonymous().get("/readyz");
            while (ready.status() == 200 && System.nanoTime() < deadline) {
                Thread.sleep(10);
                ready = anonymous().get("/readyz");
            }
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.body()).contains("draining");
            assertThat(anonymous().get("/healthz").status()).isEqualTo(200);
            assertThat(draining()).isEqualTo(1.0);
            assertThat(drained).isNotDone();

            backend.get().releaseReplies();
            final RawClient.Response response = inFlight.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(drained.get()).isTrue();
        }
        // Until the process exits: a replica still scraped with 1 for long is a drain that does not end.
        assertThat(draining()).isEqualTo(1.0);
    }

    /** {@code gateway_draining} as {@code /metrics} shows it. */
    private double draining() throws Exception {
        final Answer metrics = anonymous().get("/metrics");
        assertThat(metrics.status()).isEqualTo(200);
        return PrometheusText.parse(metrics.body()).value("gateway_draining", Map.of());
    }

    @Test
    void servesThePageFromTheJarWithASafeContentPolicy() throws Exception {
        final Answer page = anonymous().get("/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(page.header("Content-Security-Policy")).contains("script-src 'self'").contains("frame-ancestors 'none'");
        assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(page.body()).contains("Shared private endpoints").contains("admin.js").contains("admin.css")
                .doesNotContain("http://").doesNotContain("https://");
        assertThat(anonymous().get("/admin.js").header("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(anonymous().get("/admin.css").header("Content-Type")).isEqualTo("text/css; charset=utf-8");
        assertThat(anonymous().get("/index.html").body()).isEqualTo(page.body());
        assertThat(anonymous().get("/admin.js?v=1").status()).isEqualTo(200);
    }

    @Test
    void servesItsOpenApiDocumentWithoutAToken() throws Exception {
        final Answer answer = anonymous().get(AdminPage.OPENAPI_PATH);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.header("Content-Type")).isEqualTo("application/json");
        assertThat(answer.body()).isEqualTo(OpenApiContract.read(OpenApiContract.RESOURCE));
        assertThat(answer.json().path("openapi").asText()).isEqualTo("3.1.0");
        assertThat(anonymous().post(AdminPage.OPENAPI_PATH, "{}").status()).isEqualTo(405);
    }

    /** The other way round from the check of every answer: each path the document lists is served. */
    @Test
    void answersEveryPathItsDocumentLists() throws Exception {
        for (String path : OpenApiContract.admin().paths()) {
            if (path.equals("/api/" + EndpointApi.EVENTS)) {
                // A stream that does not end: its head is the answer (EventStreamClient checks it too).
                try (EventStreamClient events = EventStreamClient.open(gateway.adminPort(), TestGateway.ADMIN_TOKEN)) {
                    assertThat(events.status()).as(path).isEqualTo(200);
                }
                continue;
            }
            // The audit's one parameter is required (a missing one is 400, as the document says).
            final String query = path.equals("/api/" + EndpointApi.AUDIT) ? "?endpoint=pending" : "";
            final Answer answer = gateway.admin().get(path.replace("{name}", "pending") + query);
            final int expected = path.endsWith("/approve") || path.endsWith("/reject") ? 405 : 200;
            assertThat(answer.status()).as(path).isEqualTo(expected);
        }
    }

    @Test
    void unknownPathsAnd404AndOtherMethods405() throws Exception {
        assertThat(anonymous().get("/nothing").status()).isEqualTo(404);
        assertThat(anonymous().get("/../etc/passwd").status()).isEqualTo(404);
        final Answer post = anonymous().post("/healthz", "{}");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.header("Allow")).isEqualTo("GET");
    }

    @Test
    void refusesABodyOver64KiB() throws Exception {
        final Answer answer = gateway.admin().put("/api/shared-private-endpoints/big",
                "{\"properties\":{\"requestMessage\":\"" + "x".repeat(70 * 1024) + "\"}}");
        assertThat(answer.status()).isEqualTo(413);
        assertThat(gateway.admin().get("/api/shared-private-endpoints/big").status()).isEqualTo(404);
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
