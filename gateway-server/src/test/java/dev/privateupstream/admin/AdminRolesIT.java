package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.AdminClient.Answer;
import dev.privateupstream.testing.Await;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * SPEC §12 roles and audit with the endpoints file: reader and approver tokens beside {@code admin.token},
 * the audit record on the log {@code gateway.audit}, and {@code GET /api/audit} from this process's history.
 */
class AdminRolesIT {
    private static final String SPE = "/api/shared-private-endpoints";
    private static final String NEW_ENDPOINT = "{\"properties\":{\"groupId\":\"sites\",\"privateLinkResourceId\":\""
            + TestGateway.RESOURCE + "\",\"privateIps\":[\"127.0.0.70\"]}}";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.standard(backend, TestGateway.ADMIN_WITH_ROLES);

    private final ListAppender<ILoggingEvent> auditLines = new ListAppender<>();
    private final Logger auditLogger = (Logger) LoggerFactory.getLogger("gateway.audit");
    private Level level;

    @BeforeEach
    void captureAuditLog() {
        level = auditLogger.getLevel();
        auditLogger.setLevel(Level.INFO);
        auditLines.start();
        auditLogger.addAppender(auditLines);
    }

    @AfterEach
    void restoreAuditLog() {
        auditLogger.detachAppender(auditLines);
        auditLogger.setLevel(level);
    }

    private AdminClient as(String token) {
        return gateway.admin().withToken(token);
    }

    private String endpointsOnDisk() throws Exception {
        return Files.readString(gateway.dir().resolve("endpoints.yaml"));
    }

    private List<JsonNode> loggedRecords() throws Exception {
        final List<JsonNode> records = new ArrayList<>();
        for (ILoggingEvent event : List.copyOf(auditLines.list)) {
            records.add(JSON.readTree(event.getFormattedMessage()));
        }
        return records;
    }

    @Test
    void aReaderReadsEveryApiPath() throws Exception {
        final AdminClient reader = as(TestGateway.READER_TOKEN);
        assertThat(reader.get(SPE).status()).isEqualTo(200);
        assertThat(reader.get(SPE + "/pending").json().get("properties").get("status").asText())
                .isEqualTo("Pending");
        assertThat(reader.get("/api/shared-private-endpoints-traffic").status()).isEqualTo(200);
        assertThat(reader.get("/api/replicas").status()).isEqualTo(200);
        assertThat(reader.get("/api/audit?endpoint=pending").json().get("value")).isEmpty();
        assertThat(reader.get("/api/no-such-path").status()).isEqualTo(404);
    }

    @Test
    void aReaderWriteIsForbiddenAndChangesNothing() throws Exception {
        final AdminClient reader = as(TestGateway.READER_TOKEN);
        final String before = endpointsOnDisk();
        final List<Answer> answers = List.of(reader.post(SPE + "/pending/approve", null),
                reader.post(SPE + "/pending/reject", null), reader.put(SPE + "/new-spe", NEW_ENDPOINT),
                reader.put(SPE + "/pending", NEW_ENDPOINT), reader.delete(SPE + "/approved"),
                reader.send("PATCH", SPE + "/pending", "{}"), reader.post("/api/no-such-path", null));
        for (Answer answer : answers) {
            assertThat(answer.status()).as(answer.body()).isEqualTo(403);
            assertThat(answer.json().get("error").asText()).isEqualTo("Forbidden");
            assertThat(answer.json().get("reason").asText()).isEqualTo("insufficient-role");
        }
        assertThat(endpointsOnDisk()).isEqualTo(before);
        assertThat(gateway.server().policy().get().endpoint("pending").status()).isEqualTo(EndpointStatus.PENDING);
        assertThat(gateway.server().policy().get().endpoint("new-spe")).isNull();
        assertThat(loggedRecords()).isEmpty();
        assertThat(as(TestGateway.APPROVER_TOKEN).get("/api/audit?endpoint=pending").json().get("value")).isEmpty();
    }

    @Test
    void anUnknownTokenIsUnauthorizedAsBefore() throws Exception {
        final Answer answer = as("nobody-token").post(SPE + "/pending/approve", null);
        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.json().get("reason").asText()).isEqualTo("token-rejected");
        assertThat(as("nobody-token").get(SPE).status()).isEqualTo(401);
        assertThat(gateway.server().policy().get().endpoint("pending").status()).isEqualTo(EndpointStatus.PENDING);
    }

    @Test
    void approversChangesAreAuditedOnTheLogAndAnsweredNewestFirst() throws Exception {
        final AdminClient alice = as(TestGateway.APPROVER_TOKEN);
        assertThat(alice.post(SPE + "/pending/approve", "{\"description\":\"ok by alice\"}").status())
                .isEqualTo(200);
        assertThat(gateway.admin().post(SPE + "/pending/reject", "{\"description\":\"no\"}").status())
                .isEqualTo(200);
        assertThat(as(TestGateway.APPROVER_TOKEN).put(SPE + "/new-spe", NEW_ENDPOINT).status()).isEqualTo(201);
        assertThat(as(TestGateway.APPROVER_TOKEN).put(SPE + "/new-spe", NEW_ENDPOINT.replace("127.0.0.70",
                "127.0.0.71")).status()).isEqualTo(200);
        assertThat(gateway.admin().delete(SPE + "/new-spe").status()).isEqualTo(204);
        // A refused change (unknown endpoint) and one that asks for what already is are no change: no record.
        assertThat(gateway.admin().post(SPE + "/no-such/approve", null).status()).isEqualTo(404);
        assertThat(gateway.admin().post(SPE + "/pending/reject", "{\"description\":\"no\"}").status())
                .isEqualTo(200);

        final List<JsonNode> logged = loggedRecords();
        assertThat(logged).extracting(r -> r.get("action").asText() + " " + r.get("endpoint").asText() + " by "
                + r.get("actor").asText()).containsExactly("approve pending by alice", "reject pending by admin",
                "create new-spe by alice", "update new-spe by alice", "delete new-spe by admin");
        final JsonNode first = logged.get(0);
        assertThat(fieldNames(first)).containsExactly("time", "actor", "replica", "action", "endpoint",
                "statusBefore", "statusAfter", "description");
        assertThat(first.get("statusBefore").asText()).isEqualTo("Pending");
        assertThat(first.get("statusAfter").asText()).isEqualTo("Approved");
        assertThat(first.get("description").asText()).isEqualTo("ok by alice");
        assertThat(first.get("replica").asText()).isNotEmpty();
        assertThat(logged.get(2).get("statusBefore").isNull()).isTrue();
        assertThat(logged.get(4).get("statusBefore").asText()).isEqualTo("Pending");
        assertThat(logged.get(4).get("statusAfter").isNull()).isTrue();

        final Answer pending = as(TestGateway.READER_TOKEN).get("/api/audit?endpoint=PENDING");
        assertThat(pending.status()).isEqualTo(200);
        assertThat(pending.json().get("value")).extracting(r -> r.get("action").asText())
                .containsExactly("reject", "approve");
        assertThat(pending.json().get("value").get(1)).isEqualTo(first);
        assertThat(gateway.admin().get("/api/audit?endpoint=new-spe").json().get("value"))
                .extracting(r -> r.get("action").asText()).containsExactly("delete", "update", "create");
    }

    @Test
    void auditWithoutAnEndpointIsABadRequest() throws Exception {
        for (String target : List.of("/api/audit", "/api/audit?endpoint=", "/api/audit?endpoint=a&endpoint=b")) {
            final Answer answer = gateway.admin().get(target);
            assertThat(answer.status()).as(target).isEqualTo(400);
            assertThat(answer.json().get("field").asText()).isEqualTo("endpoint");
        }
    }

    @Test
    void aReloadAppliesNewTokensAndRoles() throws Exception {
        final Path file = gateway.dir().resolve("gateway.yaml");
        final String yaml = Files.readString(file);
        final Path temp = file.resolveSibling("gateway.yaml.tmp");
        Files.writeString(temp, yaml.replace("{ name: grafana, token: grafana-token, role: reader }",
                "{ name: grafana, token: grafana-token, role: approver }")
                .replace("{ name: alice, token: alice-token, role: approver }",
                        "{ name: bob, token: bob-token, role: reader }"));
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Await.until("the new tokens in force", () -> names().contains("bob"));

        assertThat(as(TestGateway.APPROVER_TOKEN).get(SPE).status()).isEqualTo(401);
        assertThat(as("bob-token").post(SPE + "/pending/approve", null).status()).isEqualTo(403);
        assertThat(as(TestGateway.READER_TOKEN).post(SPE + "/pending/approve", null).status()).isEqualTo(200);
        assertThat(loggedRecords()).extracting(r -> r.get("actor").asText()).containsExactly("grafana");
    }

    private List<String> names() {
        final List<String> names = new ArrayList<>();
        gateway.server().policy().get().config().admin().tokens().forEach(t -> names.add(t.name()));
        return names;
    }

    private static List<String> fieldNames(JsonNode node) {
        final List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
