package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.AdminClient.Answer;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.ReadOnlyFolder;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The approval workflow of SPEC §7 through the real admin API, with real calls through the proxy from the
 * endpoint's loopback address before and after each change, and the endpoints file checked on disk.
 */
class EndpointApiIT {
    private static final String SPE = "/api/shared-private-endpoints";

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.standard(backend);

    private Response call(String source) throws IOException {
        return gateway.caller(source)
                .send("POST /api/chat HTTP/1.1\r\nHost: func-a.example\r\nContent-Length: 2\r\n\r\nhi").read();
    }

    private List<SharedPrivateEndpoint> endpointsOnDisk() throws Exception {
        final GatewayConfig config = new ConfigLoader(Map.of()).load(gateway.dir().resolve("gateway.yaml"));
        return config.endpoints();
    }

    private SharedPrivateEndpoint onDisk(String name) throws Exception {
        return endpointsOnDisk().stream().filter(e -> e.name().equals(name)).findFirst().orElse(null);
    }

    @Test
    void approveRejectDeleteCycleChangesWhatThePendingEndpointMayCall() throws Exception {
        Response response = call("127.0.0.20");
        assertThat(response.status()).isEqualTo(403);
        assertThat(response.header("X-Gateway-Deny-Reason")).isEqualTo("endpoint-pending");

        Answer answer = gateway.admin().post(SPE + "/pending/approve",
                "{\"description\":\"approved by the function owner\"}");
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json().get("name").asText()).isEqualTo("pending");
        assertThat(answer.json().get("properties").get("status").asText()).isEqualTo("Approved");
        assertThat(answer.json().get("properties").get("description").asText())
                .isEqualTo("approved by the function owner");
        assertThat(onDisk("pending").status()).isEqualTo(EndpointStatus.APPROVED);

        response = call("127.0.0.20");
        assertThat(response.status()).isEqualTo(200);
        assertThat(backend.received()).hasSize(1);
        assertThat(backend.received().get(0).headers("X-Forwarded-For")).containsExactly("127.0.0.20");

        answer = gateway.admin().post(SPE + "/pending/reject", null);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json().get("properties").get("status").asText()).isEqualTo("Rejected");
        // No description given: the approver's stays.
        assertThat(answer.json().get("properties").get("description").asText())
                .isEqualTo("approved by the function owner");
        assertThat(onDisk("pending").status()).isEqualTo(EndpointStatus.REJECTED);
        response = call("127.0.0.20");
        assertThat(response.status()).isEqualTo(403);
        assertThat(response.header("X-Gateway-Deny-Reason")).isEqualTo("endpoint-rejected");

        assertThat(gateway.admin().delete(SPE + "/pending").status()).isEqualTo(204);
        assertThat(onDisk("pending")).isNull();
        response = call("127.0.0.20");
        assertThat(response.status()).isEqualTo(403);
        // Loopback is not a private address: with its endpoint gone, the caller is the public network.
        assertThat(response.header("X-Gateway-Deny-Reason")).isEqualTo("public-network");

        assertThat(gateway.admin().get(SPE + "/pending").status()).isEqualTo(404);
        assertThat(gateway.admin().delete(SPE + "/pending").status()).isEqualTo(404);
        assertThat(gateway.admin().post(SPE + "/pending/approve", null).status()).isEqualTo(404);
        assertThat(backend.received()).hasSize(1);
        // The other endpoints are untouched by all of this.
        assertThat(endpointsOnDisk()).extracting(SharedPrivateEndpoint::name)
                .containsExactly("approved", "rejected", "disconnected", "timeout", "other-approved");
    }

    @Test
    void putCreatesAPendingEndpointAndAnUpdateKeepsItsStatus() throws Exception {
        final String body = "{\"properties\":{\"groupId\":\"sites\",\"privateLinkResourceId\":\""
                + TestGateway.RESOURCE + "\",\"requestMessage\":\"please approve\",\"privateIps\":[\"127.0.0.70\"]}}";
        Answer answer = gateway.admin().put(SPE + "/new-spe", body);
        assertThat(answer.status()).isEqualTo(201);
        assertThat(answer.header("Location")).isEqualTo(SPE + "/new-spe");
        final JsonNode properties = answer.json().get("properties");
        assertThat(fieldNames(properties)).containsExactly("groupId", "privateLinkResourceId", "requestMessage",
                "privateIps", "status", "description", "provisioningState");
        assertThat(properties.get("status").asText()).isEqualTo("Pending");
        assertThat(properties.get("provisioningState").asText()).isEqualTo("Succeeded");
        assertThat(properties.get("privateIps").toString()).isEqualTo("[\"127.0.0.70\"]");
        assertThat(properties.get("description").asText()).isEmpty();
        assertThat(gateway.admin().get(SPE + "/new-spe").json()).isEqualTo(answer.json());
        assertThat(call("127.0.0.70").header("X-Gateway-Deny-Reason")).isEqualTo("endpoint-pending");

        assertThat(gateway.admin().post(SPE + "/new-spe/approve", "{}").status()).isEqualTo(200);
        assertThat(call("127.0.0.70").status()).isEqualTo(200);

        answer = gateway.admin().put(SPE + "/NEW-SPE", body.replace("127.0.0.70", "127.0.0.71")
                .replace("please approve", "moved").replace("]}}", "],\"linkId\":42}}"));
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json().get("name").asText()).isEqualTo("new-spe");
        assertThat(answer.json().get("properties").get("status").asText()).isEqualTo("Approved");
        assertThat(answer.json().get("properties").get("requestMessage").asText()).isEqualTo("moved");
        assertThat(answer.json().get("properties").get("linkId").asLong()).isEqualTo(42);
        // It now declares a link id: calls without one are refused, by address or not.
        assertThat(call("127.0.0.71").header("X-Gateway-Deny-Reason")).isEqualTo("link-id-mismatch");
        assertThat(call("127.0.0.70").header("X-Gateway-Deny-Reason")).isEqualTo("public-network");

        answer = gateway.admin().put(SPE + "/new-spe", body.replace("127.0.0.70", "127.0.0.72"));
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json().get("properties").has("linkId")).isFalse();
        assertThat(call("127.0.0.72").status()).isEqualTo(200);

        final JsonNode list = gateway.admin().get(SPE).json();
        // SPEC §12: in name order, and all of them on one page with no nextLink.
        assertThat(list.get("value")).extracting(e -> e.get("name").asText()).containsExactly("approved",
                "disconnected", "new-spe", "other-approved", "pending", "rejected", "timeout");
        assertThat(list.has("nextLink")).isFalse();
        assertThat(onDisk("new-spe").status()).isEqualTo(EndpointStatus.APPROVED);
    }

    @Test
    void revokingStopsAnOpenKeepAliveConnectionAtItsNextRequest() throws Exception {
        final RawClient client = gateway.caller("127.0.0.10");
        final String request = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
        assertThat(client.send(request).read().status()).isEqualTo(200);
        assertThat(gateway.admin().post(SPE + "/approved/reject", null).status()).isEqualTo(200);
        final Response refused = client.send(request).read();
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.header("X-Gateway-Deny-Reason")).isEqualTo("endpoint-rejected");
        assertThat(gateway.admin().post(SPE + "/approved/approve", null).status()).isEqualTo(200);
        // The same connection, still open after the refusal.
        assertThat(client.send(request).read().status()).isEqualTo(200);
        assertThat(backend.received()).hasSize(2);
    }

    @Test
    void refusesBadBodiesNamingTheFieldAndChangesNothing() throws Exception {
        final byte[] before = Files.readAllBytes(gateway.dir().resolve("endpoints.yaml"));
        final long reloads = gateway.server().metrics().reloads(true);
        final String good = "\"groupId\":\"sites\",\"privateLinkResourceId\":\"" + TestGateway.RESOURCE + "\"";
        assertBadRequest("PUT", SPE + "/x", "{\"properties\":{" + good + ",\"privateIps\":[\"10.1.0.4\",\"10.1.0.999\"]}}",
                "properties.privateIps[1]");
        assertBadRequest("PUT", SPE + "/x", "{\"properties\":{" + good + ",\"privateIps\":[\"10.1.0.4\"],"
                + "\"status\":\"Approved\"}}", "properties.status");
        assertBadRequest("PUT", SPE + "/x", "{\"properties\":{" + good + ",\"privateIps\":[\"10.1.0.4\"],"
                + "\"provisioningState\":\"Succeeded\"}}", "properties.provisioningState");
        assertBadRequest("PUT", SPE + "/x", "{\"properties\":{" + good + ",\"privateIps\":[\"10.1.0.4\"],"
                + "\"colour\":\"blue\"}}", "properties.colour");
        assertBadRequest("PUT", SPE + "/x", "{\"properties\":{\"groupId\":\"sites\",\"privateIps\":[\"10.1.0.4\"]}}",
                "properties.privateLinkResourceId");
        assertBadRequest("PUT", SPE + "/x", "{\"properties\":{" + good + "}}", "properties.privateIps");
        assertBadRequest("PUT", SPE + "/x", "{\"properties\":{" + good + ",\"linkId\":-1}}", "properties.linkId");
        assertBadRequest("PUT", SPE + "/x", "{\"properties\":{", "(body)");
        assertBadRequest("PUT", SPE + "/x", "", "(body)");
        // The rules between endpoints, from the configuration's validation.
        final Answer clash = assertBadRequest("PUT", SPE + "/x", "{\"properties\":{" + good
                + ",\"privateIps\":[\"10.9.0.1\",\"127.0.0.10\"]}}", "properties.privateIps[1]");
        assertThat(clash.json().get("message").asText()).contains("approved");
        final Answer unknownResource = assertBadRequest("PUT", SPE + "/x", "{\"properties\":{\"groupId\":\"sites\","
                + "\"privateLinkResourceId\":\"/subscriptions/nobody\",\"privateIps\":[\"10.1.0.4\"]}}",
                "properties.privateLinkResourceId");
        assertThat(unknownResource.json().get("message").asText()).contains("no upstream");
        assertBadRequest("PUT", SPE + "/bad%20name", "{\"properties\":{" + good + ",\"privateIps\":[\"10.1.0.4\"]}}",
                "name");
        assertBadRequest("POST", SPE + "/pending/approve", "{\"status\":\"Approved\"}", "status");
        assertBadRequest("POST", SPE + "/pending/approve", "[1]", "(body)");

        assertThat(Files.readAllBytes(gateway.dir().resolve("endpoints.yaml"))).isEqualTo(before);
        assertThat(gateway.admin().get(SPE).json().get("value")).hasSize(6);
        assertThat(gateway.server().metrics().reloads(true)).isEqualTo(reloads);
        assertThat(call("127.0.0.20").header("X-Gateway-Deny-Reason")).isEqualTo("endpoint-pending");
    }

    private Answer assertBadRequest(String method, String path, String body, String field) throws Exception {
        final Answer answer = gateway.admin().send(method, path, body);
        assertThat(answer.status()).as(body).isEqualTo(400);
        assertThat(answer.json().get("error").asText()).isEqualTo("Bad Request");
        assertThat(answer.json().get("field").asText()).as(body).isEqualTo(field);
        assertThat(answer.json().get("message").asText()).isNotBlank();
        return answer;
    }

    @Test
    void everyApiCallNeedsTheBearerTokenAndARefusalChangesNothing() throws Exception {
        final Answer missing = gateway.admin().withToken(null).get(SPE);
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.json().get("reason").asText()).isEqualTo("token-missing");
        assertThat(missing.header("WWW-Authenticate")).startsWith("Bearer");
        final Answer wrong = gateway.admin().withToken("not-the-token").post(SPE + "/pending/approve", null);
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.json().get("reason").asText()).isEqualTo("token-rejected");
        assertThat(gateway.admin().withToken("not-the-token").delete(SPE + "/approved").status()).isEqualTo(401);
        // Even a route that does not exist says 401 first: nothing is learnt without the token.
        assertThat(gateway.admin().withToken(null).get("/api/nothing-here").status()).isEqualTo(401);
        assertThat(gateway.admin().get("/api/nothing-here").status()).isEqualTo(404);
        assertThat(gateway.admin().send("PATCH", SPE + "/pending", "{}").status()).isEqualTo(405);

        assertThat(call("127.0.0.20").header("X-Gateway-Deny-Reason")).isEqualTo("endpoint-pending");
        assertThat(call("127.0.0.10").status()).isEqualTo(200);
        assertThat(onDisk("pending").status()).isEqualTo(EndpointStatus.PENDING);

        for (String open : new String[] {"/healthz", "/readyz", "/metrics", "/"}) {
            assertThat(gateway.admin().withToken(null).get(open).status()).as(open).isEqualTo(200);
        }
    }

    @Test
    void withoutAConfiguredTokenTheApiRefusesEveryCallAndSaysWhy(@TempDir Path dir) throws Exception {
        // A gateway of its own, whose admin section names no token; the standard one is left alone.
        try (TestGateway untokened = TestGateway.start(dir, TestGateway.gatewayYaml(TestGateway.upstream("func-a",
                TestGateway.RESOURCE, backend.url(), ""), "admin:\n  address: 127.0.0.1\n  port: 0\n"),
                TestGateway.STANDARD_ENDPOINTS.replace(TestGateway.endpoint("other-approved",
                        TestGateway.OTHER_RESOURCE, "Approved", "127.0.0.60"), ""))) {
            final Answer answer = new AdminClient(untokened.adminPort(), "anything").get(SPE);
            assertThat(answer.status()).isEqualTo(401);
            assertThat(answer.json().get("reason").asText()).isEqualTo("token-not-configured");
            assertThat(answer.json().get("message").asText()).contains("no admin token is configured");
        }
    }

    @Test
    void aReadOnlyEndpointsFileGets409AndAClearMessage() throws Exception {
        try {
            assumeThat(ReadOnlyFolder.make(gateway.dir())).as("cannot make a read-only folder here").isTrue();
            final Answer answer = gateway.admin().post(SPE + "/pending/approve", null);
            assertThat(answer.status()).isEqualTo(409);
            assertThat(answer.json().get("error").asText()).isEqualTo("Conflict");
            assertThat(answer.json().get("message").asText()).contains("cannot be changed").contains("read-only")
                    .contains("ConfigMap");
        } finally {
            ReadOnlyFolder.undo(gateway.dir());
        }
        assertThat(gateway.admin().get(SPE + "/pending").json().get("properties").get("status").asText())
                .isEqualTo("Pending");
        assertThat(call("127.0.0.20").header("X-Gateway-Deny-Reason")).isEqualTo("endpoint-pending");
    }

    @Test
    void concurrentChangesAreAllKept() throws Exception {
        final int n = 16;
        final ExecutorService clients = Executors.newFixedThreadPool(n);
        try {
            final List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                final int k = i;
                final Callable<Integer> put = () -> new AdminClient(gateway.adminPort()).put(SPE + "/spe-" + k,
                        "{\"properties\":{\"groupId\":\"sites\",\"privateLinkResourceId\":\"" + TestGateway.RESOURCE
                                + "\",\"privateIps\":[\"127.0.1." + k + "\"]}}").status();
                statuses.add(clients.submit(put));
            }
            for (Future<Integer> status : statuses) {
                assertThat(status.get()).isEqualTo(201);
            }
            final List<Future<Integer>> approvals = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                final int k = i;
                approvals.add(clients.submit(() -> new AdminClient(gateway.adminPort())
                        .post(SPE + "/spe-" + k + "/approve", null).status()));
            }
            for (Future<Integer> status : approvals) {
                assertThat(status.get()).isEqualTo(200);
            }
        } finally {
            clients.shutdownNow();
        }
        assertThat(gateway.admin().get(SPE).json().get("value")).hasSize(6 + n);
        assertThat(endpointsOnDisk()).hasSize(6 + n).filteredOn(e -> e.name().startsWith("spe-"))
                .allMatch(e -> e.status() == EndpointStatus.APPROVED);
        assertThat(call("127.0.1.7").status()).isEqualTo(200);
    }

    @Test
    void eachApiChangeCountsAsOneReloadAndTheWatcherDoesNotCountItAgain() throws Exception {
        final long applied = gateway.server().metrics().reloads(true);
        final long generation = gateway.server().policy().get().generation();
        assertThat(gateway.admin().post(SPE + "/pending/approve", null).status()).isEqualTo(200);
        assertThat(gateway.server().metrics().reloads(true)).isEqualTo(applied + 1);
        // Several polls of the watcher later, the gateway's own write is still not a second change.
        Thread.sleep(4 * 250 + 200);
        assertThat(gateway.server().metrics().reloads(true)).isEqualTo(applied + 1);
        assertThat(gateway.server().metrics().reloads(false)).isZero();
        assertThat(gateway.server().policy().get().generation()).isEqualTo(generation + 1);
    }

    @Test
    void trafficCountsPerEndpointAreServedForThePage() throws Exception {
        call("127.0.0.10");
        call("127.0.0.10");
        call("127.0.0.20");
        // An exchange is counted once its answer is written, a moment after the client has read it.
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        Map<String, long[]> counts;
        JsonNode traffic;
        do {
            traffic = gateway.admin().get("/api/shared-private-endpoints-traffic").json();
            counts = new HashMap<>();
            for (JsonNode t : traffic.get("value")) {
                counts.put(t.get("name").asText(), new long[] {t.get("allowed").asLong(), t.get("denied").asLong()});
            }
        } while ((counts.get("approved")[0] < 2 || counts.get("pending")[1] < 1) && System.nanoTime() < deadline);
        assertThat(traffic.get("since").asText()).isNotBlank();
        assertThat(counts).containsOnlyKeys("approved", "pending", "rejected", "disconnected", "timeout",
                "other-approved");
        assertThat(counts.get("approved")).containsExactly(2, 0);
        assertThat(counts.get("pending")).containsExactly(0, 1);
        assertThat(counts.get("rejected")).containsExactly(0, 0);
    }

    private static List<String> fieldNames(JsonNode node) {
        final List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
