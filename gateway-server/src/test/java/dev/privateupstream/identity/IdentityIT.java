package dev.privateupstream.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import dev.privateupstream.simulator.FunctionsBackend;
import dev.privateupstream.simulator.ReceivedRequest;
import dev.privateupstream.simulator.UpstreamCall;
import dev.privateupstream.simulator.UpstreamCallResult;
import dev.privateupstream.simulator.UpstreamCallSender;
import dev.privateupstream.testing.Await;
import dev.privateupstream.testing.EntraTokens;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.ServerExtension;
import dev.privateupstream.testing.TestGateway;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Entra ID tokens through a real gateway (SPEC §13): tokens signed with keys served from a JWKS endpoint on
 * loopback that rotates during the tests, every forgery of the issue refused with its status and reason and
 * never forwarded, the key fetches bounded, and the order of the checks (access, token, signature).
 */
class IdentityIT {
    private static final String KEY = "signalr-access-key-0123456789";
    private static final String V2_CLIENT = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

    @RegisterExtension
    static final EntraTokens tokens = new EntraTokens();

    @RegisterExtension
    final ServerExtension<FunctionsBackend> backend = new ServerExtension<>(() -> FunctionsBackend.start(List.of(KEY)));

    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(() -> TestGateway.gatewayYaml(
            TestGateway.upstream("func-a", TestGateway.RESOURCE, backend.get().uri().toString(),
                    "    hosts: [ 127.0.0.1 ]\n")
                    + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, backend.get().uri().toString(),
                            "    hosts: [ func-b.example ]\n"),
            "limits:\n  maxHeaderBytes: 262144\n  upstreamConnectTimeout: 2s\n"
                    + "signalr:\n  accessKeys: [ \"" + KEY + "\" ]\n  requireSignature: true\n"
                    + "  validateRequests: true\n  identity:\n    tenantId: " + EntraTokens.TENANT + "\n"
                    + "    audiences: [ \"" + EntraTokens.AUDIENCE + "\" ]\n"
                    + "    allowedCallers: [ " + EntraTokens.OBJECT_ID + ", " + V2_CLIENT + " ]\n"
                    + "    jwksUrl: " + tokens.jwksUrl() + "\n    clockSkew: 60s\n"),
            () -> TestGateway.STANDARD_ENDPOINTS);

    private final UpstreamCallSender sender = new UpstreamCallSender(Duration.ofSeconds(5), Duration.ofSeconds(10));

    @BeforeEach
    void keysLoaded() {
        tokens.failJwks(0);
        tokens.delayJwks(Duration.ZERO);
        await(() -> gateway.server().ready(), "the gateway is ready: its key set is loaded");
    }

    private UpstreamCallResult send(String source, String authorization, String... keys) throws Exception {
        final UpstreamCall.Builder call = UpstreamCall.connected("chat", "conn-1").toBuilder().accessKeys(keys);
        if (authorization != null) {
            call.header("Authorization", authorization);
        }
        return sender.send(InetAddress.getByName(source), gateway.get().uri("/"), call.build());
    }

    private UpstreamCallResult send(String authorization) throws Exception {
        return send("127.0.0.10", authorization, KEY);
    }

    private void assertRefused(UpstreamCallResult result, int status, String reason) {
        assertThat(result.status()).as("status").isEqualTo(status);
        assertThat(result.header("X-Gateway-Deny-Reason")).isEqualTo(reason);
        if (reason.endsWith("-token")) {
            assertThat(result.header("WWW-Authenticate")).isEqualTo("Bearer");
        }
        assertThat(backend.get().received()).as("nothing forwarded").isEmpty();
    }

    @Test
    void aValidV1TokenIsForwardedUnchanged() throws Exception {
        final String token = tokens.v1().sign();
        final UpstreamCallResult result = send("Bearer " + token);
        assertThat(result.status()).isEqualTo(200);
        final ReceivedRequest received = backend.get().received().get(0);
        assertThat(received.header("Authorization")).isEqualTo("Bearer " + token);
        // The scheme in any case; the same token again costs no new key fetch.
        final int fetches = tokens.jwksRequests();
        assertThat(send("bearer " + token).status()).isEqualTo(200);
        assertThat(send("BEARER " + token).status()).isEqualTo(200);
        assertThat(tokens.jwksRequests()).isEqualTo(fetches);
    }

    @Test
    void aV2TokenNamesItsCallerByAzp() throws Exception {
        assertThat(send("Bearer " + tokens.v2().without("oid").claim("azp", V2_CLIENT).sign()).status())
                .isEqualTo(200);
        assertRefusedAfter(send("Bearer " + tokens.v2().without("oid").sign()), 403, "caller-not-allowed");
    }

    private void assertRefusedAfter(UpstreamCallResult result, int status, String reason) {
        assertThat(result.status()).isEqualTo(status);
        assertThat(result.header("X-Gateway-Deny-Reason")).isEqualTo(reason);
    }

    @Test
    void aMissingTokenAndATokenOfAnotherIdentity() throws Exception {
        assertRefused(send(null), 401, "missing-token");
        assertRefused(send("Bearer " + tokens.v1().objectId("00000000-1111-2222-3333-444444444444")
                .claim("appid", "00000000-1111-2222-3333-555555555555").sign()), 403, "caller-not-allowed");
        assertThat(scrape()).contains("gateway_denied_total{reason=\"missing-token\"} 1.0")
                .contains("gateway_denied_total{reason=\"caller-not-allowed\"} 1.0");
    }

    @Test
    void everyForgeryIsRefusedAsAnInvalidToken() throws Exception {
        final Instant now = Instant.now();
        final List<String> forgeries = List.of(
                tokens.algNone(tokens.v1()),
                tokens.hs256WithPublicKey(tokens.v1()),
                tokens.tamperedPayload(tokens.v1(), "oid", EntraTokens.OBJECT_ID.replace('0', '1')),
                tokens.v1().expiresAt(now.minusSeconds(120)).sign(),
                tokens.v1().notBefore(now.plusSeconds(300)).sign(),
                tokens.v1().audience("api://someone-else").sign(),
                tokens.v1().issuer("https://sts.windows.net/00000000-0000-0000-0000-000000000000/").sign(),
                tokens.v1().tenant("00000000-0000-0000-0000-000000000000").sign(),
                tokens.v1().withoutKid().sign(),
                tokens.v1().alg(JWSAlgorithm.RS512).sign(),
                tokens.v1().without("exp").sign(),
                tokens.oversized(100_000),
                "not-a-token");
        for (String forgery : forgeries) {
            assertRefused(send("Bearer " + forgery), 401, "invalid-token");
        }
        assertRefused(send("Basic dXNlcjpwYXNz"), 401, "invalid-token");
        // Within the clock skew, expiry and not-before still pass.
        assertThat(send("Bearer " + tokens.v1().expiresAt(now.minusSeconds(20)).sign()).status()).isEqualTo(200);
        assertThat(send("Bearer " + tokens.v1().notBefore(now.plusSeconds(20)).sign()).status()).isEqualTo(200);
    }

    @Test
    void aTokenInASecondAuthorizationHeaderIsRefused() throws Exception {
        final UpstreamCall call = UpstreamCall.connected("chat", "conn-1").toBuilder().accessKeys(KEY)
                .header("Authorization", "Bearer " + tokens.v1().sign())
                .header("Authorization", "Bearer " + tokens.v1().sign()).build();
        assertRefused(sender.send(InetAddress.getByName("127.0.0.10"), gateway.get().uri("/"), call), 401,
                "invalid-token");
    }

    @Test
    void theChecksRunInOrderAccessTokenSignatureValidation() throws Exception {
        // Not an approved endpoint: the token is never looked at.
        assertRefused(send("127.0.0.20", "Bearer x", KEY), 403, "endpoint-pending");
        // A bad token and a bad signature: the token speaks first.
        assertRefused(send("127.0.0.10", "Bearer x", "wrong-key"), 401, "invalid-token");
        // A good token and a bad signature.
        assertRefused(send("127.0.0.10", "Bearer " + tokens.v1().sign(), "wrong-key"), 401, "invalid-signature");
    }

    @Test
    void anUnknownKidSentInALoopFetchesTheKeysAtMostOnce() throws Exception {
        final int before = tokens.jwksRequests();
        final String foreign = tokens.v1().signedWith(EntraTokens.newKey()).sign();
        for (int i = 0; i < 30; i++) {
            assertRefused(send("Bearer " + foreign), 401, "invalid-token");
        }
        assertThat(tokens.jwksRequests() - before).isLessThanOrEqualTo(1);
    }

    @Test
    void aRotatedKeyIsFetchedWhileTheCallWaits() throws Exception {
        final int before = tokens.jwksRequests();
        final RSAKey dropped = tokens.signingKey();
        assertThat(send("Bearer " + tokens.v1().sign()).status()).isEqualTo(200);
        tokens.rotate(false);
        assertThat(send("Bearer " + tokens.v1().sign()).status()).isEqualTo(200);
        assertThat(tokens.jwksRequests()).isEqualTo(before + 1);
        assertThat(scrape()).contains("gateway_identity_key_refreshes_total{result=\"success\"} 2.0");
        // A token of the dropped key no longer verifies, and does not fetch again within the minute.
        backend.get().clear();
        assertRefused(send("Bearer " + tokens.v1().signedWith(dropped).sign()), 401, "invalid-token");
        assertThat(tokens.jwksRequests()).isEqualTo(before + 1);
    }

    @Test
    void aCallWaitsForARefreshNoLongerThanTheConnectTimeout() throws Exception {
        tokens.rotate(false);
        tokens.delayJwks(Duration.ofSeconds(6));
        final long start = System.nanoTime();
        assertRefused(send("Bearer " + tokens.v1().sign()), 503, "identity-unavailable");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("waited about 2 s")
                .isGreaterThanOrEqualTo(1900);
    }

    private String scrape() {
        return gateway.server().metrics().scrape();
    }

    private static void await(BooleanSupplier condition, String what) {
        Await.until(what, condition);
    }
}
