package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.simulator.FunctionsBackend;
import dev.privateupstream.simulator.HubProtocol;
import dev.privateupstream.simulator.ReceivedRequest;
import dev.privateupstream.simulator.UpstreamCall;
import dev.privateupstream.simulator.UpstreamCallResult;
import dev.privateupstream.simulator.UpstreamCallSender;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.ServerExtension;
import dev.privateupstream.testing.TestGateway;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real SignalR upstream calls (from the simulator) through the gateway to a Functions-like backend: every
 * refusal of SPEC §5 and §6a reachable from loopback callers, with the backend asserting it received
 * nothing, and invocations forwarded and answered byte for byte.
 */
class SignalRUpstreamIT {
    private static final String PRIMARY = "primary-access-key-0123456789";
    private static final String SECONDARY = "secondary-access-key-9876543210";
    private static final String HOST = "func-a.example";
    private static final String SIGNALR = "signalr:\n  accessKeys: [ \"" + PRIMARY + "\", \"" + SECONDARY + "\" ]\n"
            + "  requireSignature: true\n  validateRequests: true\n";

    @RegisterExtension
    final ServerExtension<FunctionsBackend> backend =
            new ServerExtension<>(() -> FunctionsBackend.start(List.of(PRIMARY, SECONDARY)));
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(
            () -> TestGateway.gatewayYaml(upstreams(backend.get().uri().toString()), SIGNALR),
            () -> TestGateway.STANDARD_ENDPOINTS);

    private final UpstreamCallSender sender = new UpstreamCallSender();

    /** Unlike the standard upstreams, func-a takes only its own Host: any other is a call that routes nowhere. */
    private static String upstreams(String url) {
        return TestGateway.upstream("func-a", TestGateway.RESOURCE, url, "    hosts: [ func-a.example ]\n")
                + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, url, "    hosts: [ func-b.example ]\n");
    }

    private URI target() {
        return gateway.get().uri("/");
    }

    private UpstreamCallResult send(String source, UpstreamCall call) throws Exception {
        return sender.send(InetAddress.getByName(source), target(), call.toBuilder().host(HOST).build());
    }

    private static UpstreamCall connected(String... keys) {
        return UpstreamCall.connected("chat", "conn-1").toBuilder().accessKeys(keys).build();
    }

    private void assertRefused(UpstreamCallResult result, int status, String reason) throws Exception {
        assertThat(result.status()).as("status").isEqualTo(status);
        assertThat(result.header("X-Gateway-Deny-Reason")).isEqualTo(reason);
        final JsonNode body = new ObjectMapper().readTree(result.body());
        assertThat(body.get("reason").asText()).isEqualTo(reason);
        assertThat(body.get("error").asText()).isNotBlank();
        assertThat(result.header("Content-Type")).startsWith("application/json");
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource({
        "127.0.0.1, 403, public-network",
        "127.0.0.20, 403, endpoint-pending",
        "127.0.0.30, 403, endpoint-rejected",
        "127.0.0.40, 403, endpoint-disconnected",
        "127.0.0.50, 403, endpoint-timeout",
        "127.0.0.60, 403, wrong-upstream",
    })
    void refusesCallersThatAreNotAnApprovedEndpointOfThisUpstream(String source, int status, String reason)
            throws Exception {
        assertRefused(send(source, connected(PRIMARY)), status, reason);
        assertThat(backend.get().received()).isEmpty();
    }

    @Test
    void refusesACallThatRoutesNowhereWith404() throws Exception {
        final UpstreamCallResult result = sender.send(InetAddress.getByName("127.0.0.10"), target(),
                connected(PRIMARY).toBuilder().host("unknown.example").build());
        assertRefused(result, 404, "no-route");
        assertThat(backend.get().received()).isEmpty();
    }

    @Test
    void aPublicCallerLearnsNothingButForbiddenEvenWithBadSignatureAndShape() throws Exception {
        final UpstreamCall bad = UpstreamCall.builder().method("GET").host(HOST).build();
        assertRefused(send("127.0.0.1", bad), 403, "public-network");
        assertRefused(send("127.0.0.20", bad), 403, "endpoint-pending");
        assertThat(backend.get().received()).isEmpty();
    }

    @Test
    void signatureChecks() throws Exception {
        assertRefused(send("127.0.0.10", connected()), 401, "missing-signature");
        assertRefused(send("127.0.0.10", connected("a-rotated-out-key")), 401, "invalid-signature");
        final UpstreamCall noConnectionId = connected(PRIMARY).toBuilder().connectionId(null)
                .header("X-ASRS-Signature", "sha256=00").build();
        assertRefused(send("127.0.0.10", noConnectionId), 401, "invalid-signature");
        assertThat(backend.get().received()).isEmpty();
        // Either configured key is honoured, alone or beside the other (rotation without downtime).
        assertThat(send("127.0.0.10", connected(PRIMARY)).status()).isEqualTo(200);
        assertThat(send("127.0.0.10", connected(SECONDARY)).status()).isEqualTo(200);
        assertThat(send("127.0.0.10", connected("a-rotated-out-key", SECONDARY)).status()).isEqualTo(200);
        assertThat(backend.get().received()).hasSize(3);
    }

    @Test
    void aNonAsciiConnectionIdIsSignedAsUtf8() throws Exception {
        final UpstreamCall call = UpstreamCall.connected("chat", "conn-ü-東京").toBuilder().accessKeys(PRIMARY).build();
        assertThat(send("127.0.0.10", call).status()).isEqualTo(200);
        assertThat(backend.get().received().get(0).header("X-ASRS-Connection-Id")).isEqualTo(
                new String("conn-ü-東京".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    @Test
    void requestValidation() throws Exception {
        final UpstreamCall good = connected(PRIMARY);
        assertRefused(send("127.0.0.10", good.toBuilder().method("PUT").build()), 405, "not-signalr-upstream");
        assertRefused(send("127.0.0.10", good.toBuilder().hub(null).build()), 400, "not-signalr-upstream");
        assertRefused(send("127.0.0.10", good.toBuilder().category("other").build()), 400, "not-signalr-upstream");
        assertRefused(send("127.0.0.10", good.toBuilder().event("reconnected").build()), 400, "not-signalr-upstream");
        assertRefused(send("127.0.0.10", good.toBuilder().contentType("text/plain").build()), 415,
                "not-signalr-upstream");
        assertThat(backend.get().received()).isEmpty();
        assertThat(send("127.0.0.10", good.toBuilder().contentType("Application/JSON; charset=utf-8").build())
                .status()).isEqualTo(200);
    }

    @Test
    void invocationsAreForwardedAndAnsweredByteForByte() throws Exception {
        for (HubProtocol protocol : HubProtocol.values()) {
            backend.get().clear();
            final UpstreamCall call = UpstreamCall.invocation(protocol, "chat", "conn-7", "broadcast", "42",
                    "hello", 3, List.of("x", "y")).toBuilder().accessKeys(PRIMARY, SECONDARY).userId("user-1").build();
            final UpstreamCallResult viaGateway = send("127.0.0.10", call);
            assertThat(viaGateway.status()).isEqualTo(200);
            assertThat(backend.get().awaitCount(1, Duration.ofSeconds(5))).isTrue();
            final ReceivedRequest seen = backend.get().received().get(0);
            assertThat(seen.body()).as(protocol + " request body").isEqualTo(call.body());
            assertThat(seen.forwardedFor()).isEqualTo("127.0.0.10");
            assertThat(seen.header("X-ASRS-User-Id")).isEqualTo("user-1");
            // The same call straight to the backend: the completion the gateway relayed must be identical.
            final UpstreamCallResult direct = sender.send(InetAddress.getByName("127.0.0.1"), backend.get().uri(),
                    call);
            assertThat(viaGateway.body()).as(protocol + " completion").isEqualTo(direct.body()).isNotEmpty();
            assertThat(viaGateway.header("Content-Type")).isEqualTo(direct.header("Content-Type"));
            assertThat(viaGateway.header("Content-Length")).isEqualTo(direct.header("Content-Length"));
        }
    }

    @Test
    void disconnectedWithErrorAndKeepAliveAcrossCalls() throws Exception {
        try (UpstreamCallSender.Connection connection =
                sender.open(InetAddress.getByName("127.0.0.10"), target())) {
            assertThat(connection.send(connected(PRIMARY).toBuilder().host(HOST).build()).status()).isEqualTo(200);
            assertThat(connection.send(UpstreamCall.disconnected("chat", "conn-1", "transport closed").toBuilder()
                    .accessKeys(PRIMARY).host(HOST).build()).status()).isEqualTo(200);
            assertThat(connection.send(UpstreamCall.disconnected("chat", "conn-1").toBuilder().accessKeys(PRIMARY)
                    .host(HOST).build()).status()).isEqualTo(200);
        }
        assertThat(backend.get().received()).hasSize(3);
        assertThat(backend.get().received().get(1).bodyText()).contains("transport closed");
    }
}
