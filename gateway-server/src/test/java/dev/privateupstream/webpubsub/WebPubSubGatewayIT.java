package dev.privateupstream.webpubsub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.testing.CloudEventCalls.Response;
import dev.privateupstream.testing.CloudEventCalls;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.TestGateway;
import dev.privateupstream.testing.WebPubSubBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gateway in front of the official Web PubSub event-handler middleware, {@code @azure/web-pubsub-express}
 * 1.1.0 on Node (SPEC §13): events answered by the real handlers reach the caller as they were answered, the
 * gateway answers abuse protection itself, and a forged {@code ce-signature} that the middleware accepts when
 * sent to it directly is stopped at the gateway.
 */
class WebPubSubGatewayIT {
    private static final String KEY = "webpubsub-primary-key-0123456789";
    private static final String SECONDARY = "webpubsub-secondary-key-9876543210";

    @RegisterExtension
    static final WebPubSubBackend backend = new WebPubSubBackend();

    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(() -> TestGateway.gatewayYaml(
            // Two upstreams on one backend, told apart by hub, so routing by ce-hub shows in the metrics.
            TestGateway.upstream("chat-events", TestGateway.RESOURCE, backend.url(),
                    "    protocol: webpubsub\n    hubPattern: chat\n")
                    + TestGateway.upstream("other-events", TestGateway.RESOURCE, backend.url(),
                            "    protocol: webpubsub\n    hubPattern: other\n    categoryPattern: user\n")
                    + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, backend.url(),
                            "    hosts: [ func-b.example ]\n"),
            "webpubsub:\n  accessKeys: [ \"" + KEY + "\", \"" + SECONDARY + "\" ]\n  requireSignature: true\n"
                    + "  validateRequests: true\n  allowedOrigins: [ " + CloudEventCalls.DEFAULT_ORIGIN + " ]\n"),
            () -> TestGateway.STANDARD_ENDPOINTS);

    private Response viaGateway(String source, CloudEventCalls.Call call) throws Exception {
        return call.send(source, gateway.port());
    }

    private static void assertRefused(Response response, int status, String reason) {
        assertThat(response.status()).as("status of " + response).isEqualTo(status);
        assertThat(response.header("X-Gateway-Deny-Reason")).isEqualTo(reason);
    }

    @Test
    void aConnectIsAnsweredByTheHandlersConnectAndReachesTheCallerVerbatim() throws Exception {
        final CloudEventCalls.Call connect = CloudEventCalls.connect("chat", "conn-1").userId("alice")
                .accessKeys(KEY, SECONDARY);
        final Response direct = connect.send("127.0.0.1", backend.port());
        final Response proxied = viaGateway("127.0.0.10", connect);

        assertThat(proxied.status()).isEqualTo(200);
        assertThat(proxied.bodyText()).isEqualTo(direct.bodyText());
        assertThat(proxied.header("Content-Type")).isEqualTo(direct.header("Content-Type"))
                .isEqualTo("application/json; charset=utf-8");
        final JsonNode body = new ObjectMapper().readTree(proxied.body());
        assertThat(body.get("userId").asText()).isEqualTo("alice");
        assertThat(body.get("groups").get(0).asText()).isEqualTo("g1");
        // The handler saw the caller's private IP as X-Forwarded-For, and the signature the service made.
        final WebPubSubBackend.Event seen = backend.awaitEvent(e -> "connect".equals(e.type())
                && "127.0.0.10".equals(e.xForwardedFor()));
        assertThat(seen.signature()).isEqualTo(CloudEventCalls.signatureHeader(
                java.util.List.of(KEY, SECONDARY), "conn-1"));
    }

    @Test
    void aRefusedConnectFromTheHandlerIsPassedOn() throws Exception {
        final Response refused = viaGateway("127.0.0.10",
                CloudEventCalls.connect("chat", "conn-2").userId("deny").accessKeys(KEY));
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.bodyText()).isEqualTo("nope");
        assertThat(refused.header("X-Gateway-Deny-Reason")).isNull();
    }

    @Test
    void userEventsAreEchoedAndRoutedByHub() throws Exception {
        final Response chat = viaGateway("127.0.0.10",
                CloudEventCalls.message("chat", "conn-3", "hello").accessKeys(SECONDARY));
        assertThat(chat.status()).isEqualTo(200);
        assertThat(chat.bodyText()).isEqualTo("echo:hello");
        assertThat(chat.header("Content-Type")).startsWith("text/plain");

        final Response other = viaGateway("127.0.0.10",
                CloudEventCalls.message("other", "conn-4", "hi").accessKeys(KEY));
        assertThat(other.bodyText()).isEqualTo("other:hi");
        // The exchange is counted once its answer is written: soon after the caller reads it.
        awaitMetric("gateway_requests_total{outcome=\"forwarded\",status=\"200\",upstream=\"chat-events\"} 1.0");
        awaitMetric("gateway_requests_total{outcome=\"forwarded\",status=\"200\",upstream=\"other-events\"} 1.0");

        // other-events takes only user events: a system event of hub other routes nowhere.
        assertRefused(viaGateway("127.0.0.10", CloudEventCalls.connected("other", "conn-4").accessKeys(KEY)),
                404, "no-route");
    }

    private void awaitMetric(String line) throws InterruptedException {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (!gateway.server().metrics().scrape().contains(line)) {
            assertThat(System.nanoTime()).as("metrics show " + line).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void theAbuseProtectionHandshakeIsAnsweredByTheGatewayAndNeverForwarded() throws Exception {
        final Response allowed = viaGateway("127.0.0.10", CloudEventCalls.validate("chat")
                .origin("replica.webpubsub.azure.com, " + CloudEventCalls.DEFAULT_ORIGIN.toUpperCase()));
        assertThat(allowed.status()).isEqualTo(200);
        assertThat(allowed.headers("WebHook-Allowed-Origin"))
                .containsExactly(CloudEventCalls.DEFAULT_ORIGIN.toUpperCase());

        assertRefused(viaGateway("127.0.0.10", CloudEventCalls.validate("chat")
                .origin(CloudEventCalls.DEFAULT_ORIGIN + ".attacker.example")), 403, "origin-not-allowed");
        // From a pending endpoint the handshake is refused for what the caller is, not for its origin.
        assertRefused(viaGateway("127.0.0.20", CloudEventCalls.validate("chat")), 403, "endpoint-pending");
        assertThat(backend.requests()).noneMatch(r -> "OPTIONS".equals(r.method()));
    }

    @Test
    void aForgedSignatureTheMiddlewareAcceptsIsStoppedAtTheGateway() throws Exception {
        final CloudEventCalls.Call forged = CloudEventCalls.message("chat", "conn-5", "pwned")
                .forgedSignature("sha256=deadbeef");
        // The reason the gateway exists: sent directly, the official middleware answers it.
        final Response direct = forged.send("127.0.0.1", backend.port());
        assertThat(direct.status()).isEqualTo(200);
        assertThat(direct.bodyText()).isEqualTo("echo:pwned");
        backend.clearEvents();

        assertRefused(viaGateway("127.0.0.10", forged), 401, "invalid-signature");
        assertRefused(viaGateway("127.0.0.10", CloudEventCalls.message("chat", "conn-5", "x")), 401,
                "missing-signature");
        assertRefused(viaGateway("127.0.0.10", CloudEventCalls.message("chat", "conn-5", "x")
                .header("ce-signature", CloudEventCalls.signature(KEY, "another-connection"))), 401,
                "invalid-signature");
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void callsThatAreNotWebPubSubEventsAreRefusedAfterTheSignature() throws Exception {
        assertRefused(viaGateway("127.0.0.10", CloudEventCalls.message("chat", "conn-6", "x").accessKeys(KEY)
                .contentType("application/xml")), 415, "not-webpubsub-event");
        assertRefused(viaGateway("127.0.0.10", CloudEventCalls.message("chat", "conn-6", "x").accessKeys(KEY)
                .without("ce-id")), 400, "not-webpubsub-event");
        assertRefused(viaGateway("127.0.0.10", CloudEventCalls.message("chat", "conn-6", "x").accessKeys(KEY)
                .header("ce-specversion", "0.3")), 400, "not-webpubsub-event");
        assertRefused(viaGateway("127.0.0.10", CloudEventCalls.connected("chat", "conn-6").accessKeys(KEY)
                .method("PUT")), 405, "not-webpubsub-event");
        assertThat(backend.requests()).isEmpty();
    }
}
