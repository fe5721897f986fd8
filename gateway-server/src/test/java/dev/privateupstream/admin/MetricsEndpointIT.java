package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.AdminClient.Answer;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.PrometheusText;
import dev.privateupstream.testing.PrometheusText.Sample;
import dev.privateupstream.testing.RawClient;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /metrics} parsed as Prometheus does, checked for every name and label of SPEC §8 after real
 * traffic, and for labels that stay bounded.
 */
class MetricsEndpointIT {
    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.standard(backend);

    private void send(String source, String request) throws IOException {
        gateway.caller(source).send(request).read();
    }

    private PrometheusText scrape() throws Exception {
        final Answer answer = gateway.admin().withToken(null).get("/metrics");
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.header("Content-Type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        return PrometheusText.parse(answer.body());
    }

    /** Exchanges are counted once their answer is written, just after the client read it. */
    private PrometheusText scrapeOnce(String name, Map<String, String> labels, double expected) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        PrometheusText text = scrape();
        while (!Double.valueOf(expected).equals(text.value(name, labels)) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            text = scrape();
        }
        return text;
    }

    @Test
    void everyNameAndLabelOfSpecSection8() throws Exception {
        final String post = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
        send("127.0.0.10", post);                   // forwarded
        send("127.0.0.10", post);
        send("127.0.0.20", post);                   // endpoint-pending
        send("127.0.0.1", post);                    // public-network, before routing
        send("127.0.0.10", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi");
        gateway.admin().post("/api/shared-private-endpoints/pending/approve", null);

        final PrometheusText text = scrapeOnce("gateway_requests_total",
                Map.of("upstream", "none", "outcome", "error", "status", "400"), 1);

        assertThat(text.type("gateway_requests_total")).isEqualTo("counter");
        assertThat(text.value("gateway_requests_total", Map.of("upstream", "func-a", "outcome", "forwarded",
                "status", "200"))).isEqualTo(2.0);
        assertThat(text.value("gateway_requests_total", Map.of("upstream", "func-a", "outcome", "denied",
                "status", "403"))).isEqualTo(1.0);
        assertThat(text.value("gateway_requests_total", Map.of("upstream", "none", "outcome", "denied",
                "status", "403"))).isEqualTo(1.0);
        assertThat(text.samples("gateway_requests_total")).allSatisfy(s ->
                assertThat(s.labels().keySet()).containsExactlyInAnyOrder("upstream", "outcome", "status"));

        assertThat(text.type("gateway_denied_total")).isEqualTo("counter");
        assertThat(text.value("gateway_denied_total", Map.of("reason", "endpoint-pending"))).isEqualTo(1.0);
        assertThat(text.value("gateway_denied_total", Map.of("reason", "public-network"))).isEqualTo(1.0);
        assertThat(text.samples("gateway_denied_total")).extracting(s -> s.labels().get("reason"))
                .containsExactlyInAnyOrder("public-network", "unknown-private-endpoint", "link-id-mismatch",
                        "no-route", "endpoint-pending", "endpoint-rejected", "endpoint-disconnected",
                        "endpoint-timeout", "wrong-upstream", "missing-signature", "invalid-signature",
                        "not-signalr-upstream", "untrusted-proxy", "bad-proxy-header", "rejected-at-connect",
                        // SPEC §13
                        "missing-token", "invalid-token", "caller-not-allowed", "identity-unavailable",
                        "origin-not-allowed", "not-webpubsub-event");
        assertThat(text.type("gateway_identity_key_refreshes_total")).isEqualTo("counter");
        assertThat(text.samples("gateway_identity_key_refreshes_total")).extracting(s -> s.labels().get("result"))
                .containsExactlyInAnyOrder("success", "failure");

        assertThat(text.type("gateway_upstream_request_duration_seconds")).isEqualTo("histogram");
        final Map<String, String> funcA = Map.of("upstream", "func-a");
        assertThat(text.value("gateway_upstream_request_duration_seconds_count", funcA)).isEqualTo(2.0);
        assertThat(text.value("gateway_upstream_request_duration_seconds_sum", funcA)).isPositive();
        assertThat(text.samples("gateway_upstream_request_duration_seconds_bucket"))
                .extracting(s -> s.labels().get("le"))
                .contains("5.0E-4", "0.001", "0.01", "0.1", "1.0", "10.0", "+Inf");
        assertThat(text.value("gateway_upstream_request_duration_seconds_bucket",
                Map.of("upstream", "func-a", "le", "+Inf"))).isEqualTo(2.0);

        assertThat(text.type("gateway_active_connections")).isEqualTo("gauge");
        assertThat(text.value("gateway_active_connections", Map.of())).isNotNull();

        assertThat(text.type("gateway_config_reloads_total")).isEqualTo("counter");
        assertThat(text.value("gateway_config_reloads_total", Map.of("result", "applied"))).isEqualTo(1.0);
        assertThat(text.value("gateway_config_reloads_total", Map.of("result", "rejected"))).isEqualTo(0.0);

        assertThat(text.type("gateway_shared_private_endpoints")).isEqualTo("gauge");
        assertThat(text.value("gateway_shared_private_endpoints", Map.of("status", "Approved"))).isEqualTo(3.0);
        assertThat(text.value("gateway_shared_private_endpoints", Map.of("status", "Pending"))).isEqualTo(0.0);
        assertThat(text.value("gateway_shared_private_endpoints", Map.of("status", "Rejected"))).isEqualTo(1.0);
        assertThat(text.value("gateway_shared_private_endpoints", Map.of("status", "Disconnected"))).isEqualTo(1.0);
        assertThat(text.value("gateway_shared_private_endpoints", Map.of("status", "Timeout"))).isEqualTo(1.0);

        // JVM and Netty allocator metrics ride along.
        assertThat(text.samples("jvm_memory_used_bytes")).isNotEmpty();
        assertThat(text.samples("jvm_threads_live_threads")).isNotEmpty();
        assertThat(text.all()).anySatisfy(s -> assertThat(s.name()).startsWith("netty_allocator_"));

        // Bounded labels: no caller address, endpoint name or connection id ever becomes a label value.
        for (Sample s : text.all()) {
            for (String value : s.labels().values()) {
                assertThat(value).as(s.toString()).doesNotContain("127.0.0.").isNotIn(Set.of("approved", "pending"));
            }
        }
    }

    @Test
    void countsAConnectionWhileItIsOpen() throws Exception {
        // Closed here, not after the test: the count must fall back to zero.
        try (RawClient client = gateway.caller("127.0.0.10")) {
            client.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi").read();
            assertThat(scrapeOnce("gateway_active_connections", Map.of(), 1)
                    .value("gateway_active_connections", Map.of())).isEqualTo(1.0);
        }
        assertThat(scrapeOnce("gateway_active_connections", Map.of(), 0)
                .value("gateway_active_connections", Map.of())).isEqualTo(0.0);
    }
}
