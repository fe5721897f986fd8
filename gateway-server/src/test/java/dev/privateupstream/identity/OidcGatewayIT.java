package dev.privateupstream.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.CloudEventCalls.Response;
import dev.privateupstream.testing.CloudEventCalls;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.OidcServer;
import dev.privateupstream.testing.TestGateway;
import dev.privateupstream.testing.WebPubSubBackend;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole path with real peers (SPEC §13): a token a managed identity gets over HTTP from a real OIDC server
 * on loopback ({@code mock-oauth2-server}), sent with Web PubSub events through the gateway to the official
 * {@code @azure/web-pubsub-express} middleware on Node. The gateway reads the issuer's keys from the server's
 * JWKS endpoint; the middleware checks nothing itself.
 */
class OidcGatewayIT {
    /** The mock server names a tenant by its issuer id: Entra's tid is a GUID, so the issuer id is one. */
    private static final String TENANT = "3f8a4c2e-1b7d-4e9f-a6c5-0d2e8b7f1a94";
    private static final String OTHER_TENANT = "9d1e7c3b-5a2f-4b8e-8c6d-2f4a9e0b7c15";
    private static final String RESOURCE = "api://contoso-events";
    private static final String CLIENT_ID = "5e2b9f1c-7d4a-4c3e-9b8f-1a6d0e2c4b7f";
    private static final String OBJECT_ID = "8c4d2a6e-9f1b-4e7c-a3d5-6b0f2e8a1c9d";
    private static final String KEY = "webpubsub-access-key-0123456789";

    @RegisterExtension
    static final OidcServer oidc = new OidcServer();
    @RegisterExtension
    static final WebPubSubBackend backend = new WebPubSubBackend();

    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(() -> TestGateway.gatewayYaml(
            TestGateway.upstream("chat-events", TestGateway.RESOURCE, backend.url(), "    protocol: webpubsub\n")
                    + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, backend.url(),
                            "    hosts: [ func-b.example ]\n"),
            "webpubsub:\n  accessKeys: [ \"" + KEY + "\" ]\n  requireSignature: true\n  validateRequests: true\n"
                    + "  allowedOrigins: [ " + CloudEventCalls.DEFAULT_ORIGIN + " ]\n"
                    + "  identity:\n    tenantId: " + TENANT + "\n    audiences: [ \"" + RESOURCE + "\" ]\n"
                    + "    allowedCallers: [ " + OBJECT_ID + " ]\n    issuers: [ \"" + oidc.issuer(TENANT) + "\" ]\n"
                    + "    jwksUrl: " + oidc.jwksUrl(TENANT) + "\n"),
            () -> TestGateway.STANDARD_ENDPOINTS);

    @BeforeEach
    void keysLoaded() throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!gateway.server().ready()) {
            assertThat(System.nanoTime()).as("the gateway loads the issuer's keys").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private Response send(CloudEventCalls.Call call) throws Exception {
        return call.send("127.0.0.10", gateway.port());
    }

    private static void assertRefused(Response response, int status, String reason) {
        assertThat(response.status()).as("status of " + response).isEqualTo(status);
        assertThat(response.header("X-Gateway-Deny-Reason")).isEqualTo(reason);
    }

    @Test
    void theManagedIdentitysTokenFromTheOidcServerPassesAndIsForwardedUnchanged() throws Exception {
        final String token = oidc.managedIdentityToken(TENANT, CLIENT_ID, OBJECT_ID, RESOURCE);
        final Response connect = send(CloudEventCalls.connect("chat", "conn-1").userId("alice").accessKeys(KEY)
                .header("Authorization", "Bearer " + token));
        assertThat(connect.status()).isEqualTo(200);
        assertThat(connect.bodyText()).contains("\"userId\":\"alice\"");
        final WebPubSubBackend.Event seen = backend.awaitEvent(e -> "connect".equals(e.type()));
        assertThat(seen.authorization()).isEqualTo("Bearer " + token);

        final Response message = send(CloudEventCalls.message("chat", "conn-1", "hi").accessKeys(KEY)
                .header("Authorization", "Bearer " + token));
        assertThat(message.bodyText()).isEqualTo("echo:hi");
    }

    @Test
    void tokensTheServerIssuesForAnotherResourceTenantOrIdentityAreRefused() throws Exception {
        assertRefused(send(CloudEventCalls.message("chat", "conn-2", "x").accessKeys(KEY)), 401, "missing-token");
        final String otherResource = oidc.managedIdentityToken(TENANT, CLIENT_ID, OBJECT_ID, "api://someone-else");
        assertRefused(send(CloudEventCalls.message("chat", "conn-2", "x").accessKeys(KEY)
                .header("Authorization", "Bearer " + otherResource)), 401, "invalid-token");
        // Another issuer of the same server: a key the gateway's JWKS does not hold, and a foreign iss and tid.
        final String otherTenant = oidc.managedIdentityToken(OTHER_TENANT, CLIENT_ID, OBJECT_ID, RESOURCE);
        assertRefused(send(CloudEventCalls.message("chat", "conn-2", "x").accessKeys(KEY)
                .header("Authorization", "Bearer " + otherTenant)), 401, "invalid-token");
        final String otherIdentity = oidc.managedIdentityToken(TENANT, CLIENT_ID,
                "00000000-1111-2222-3333-444444444444", RESOURCE);
        assertRefused(send(CloudEventCalls.message("chat", "conn-2", "x").accessKeys(KEY)
                .header("Authorization", "Bearer " + otherIdentity)), 403, "caller-not-allowed");
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void theHandshakeNeedsNoToken() throws Exception {
        final Response handshake = send(CloudEventCalls.validate("chat"));
        assertThat(handshake.status()).isEqualTo(200);
        assertThat(handshake.header("WebHook-Allowed-Origin")).isEqualTo(CloudEventCalls.DEFAULT_ORIGIN);
    }
}
