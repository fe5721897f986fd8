package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** The access log of SPEC §8: one JSON object per request on the logger {@code gateway.access}. */
class AccessLogIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.standard(backend);

    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger accessLogger = (Logger) LoggerFactory.getLogger("gateway.access");
    private Level level;

    /** The gateway checks the logger's level at each exchange, so capturing may begin once it runs. */
    @BeforeEach
    void captureAccessLog() {
        level = accessLogger.getLevel();
        accessLogger.setLevel(Level.INFO);
        lines.start();
        accessLogger.addAppender(lines);
    }

    @AfterEach
    void restoreAccessLog() {
        accessLogger.detachAppender(lines);
        accessLogger.setLevel(level);
    }

    private List<JsonNode> awaitLines(int count) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (lines.list.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        final List<JsonNode> parsed = new ArrayList<>();
        for (ILoggingEvent event : List.copyOf(lines.list)) {
            assertThat(event.getLevel()).isEqualTo(Level.INFO);
            assertThat(event.getFormattedMessage()).doesNotContain("\n");
            parsed.add(JSON.readTree(event.getFormattedMessage()));
        }
        assertThat(parsed).hasSize(count);
        return parsed;
    }

    private static JsonNode byCaller(List<JsonNode> log, String caller) {
        return log.stream().filter(line -> line.get("caller").asText().equals(caller)).findFirst()
                .orElseThrow(() -> new AssertionError("no access log line for caller " + caller + ": " + log));
    }

    @Test
    void writesOneJsonLinePerRequestWithEveryField() throws Exception {
        gateway.caller("127.0.0.10").send("POST /runtime/webhooks/signalr?code=k HTTP/1.1\r\nHost: func-a.example\r\n"
                + "X-ASRS-Connection-Id: conn-1\r\nX-ASRS-Hub: chat\r\nX-ASRS-Category: messages\r\n"
                + "X-ASRS-Event: broadcast\r\nX-ASRS-User-Id: user-7\r\nContent-Type: application/json\r\n"
                + "Content-Length: 11\r\n\r\n{\"type\":10}").read();
        gateway.caller("127.0.0.20").send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").read();
        final List<JsonNode> log = awaitLines(2);

        // Each line is written when its exchange ends, on its connection's event loop: the two lines may
        // come in either order, so they are told apart by caller.
        final JsonNode allowed = byCaller(log, "127.0.0.10");
        assertThat(fieldNames(allowed)).containsExactly("time", "caller", "peer", "method", "path", "host",
                "upstream", "endpoint", "outcome", "reason", "status", "bytesIn", "bytesOut", "durationMs", "hub",
                "category", "event", "connectionId", "userId");
        assertThat(Instant.parse(allowed.get("time").asText())).isBefore(Instant.now().plusSeconds(1));
        assertThat(allowed.get("time").asText()).endsWith("Z");
        assertThat(allowed.get("caller").asText()).isEqualTo("127.0.0.10");
        assertThat(allowed.get("peer").asText()).startsWith("127.0.0.10:");
        assertThat(allowed.get("method").asText()).isEqualTo("POST");
        assertThat(allowed.get("path").asText()).isEqualTo("/runtime/webhooks/signalr?code=k");
        assertThat(allowed.get("host").asText()).isEqualTo("func-a.example");
        assertThat(allowed.get("upstream").asText()).isEqualTo("func-a");
        assertThat(allowed.get("endpoint").asText()).isEqualTo("approved");
        assertThat(allowed.get("outcome").asText()).isEqualTo("forwarded");
        assertThat(allowed.get("reason").isNull()).isTrue();
        assertThat(allowed.get("status").asInt()).isEqualTo(200);
        assertThat(allowed.get("bytesIn").asLong()).isEqualTo(11);
        assertThat(allowed.get("bytesOut").asLong()).isEqualTo("{\"ok\":true}".length());
        assertThat(allowed.get("durationMs").isNumber()).isTrue();
        assertThat(allowed.get("hub").asText()).isEqualTo("chat");
        assertThat(allowed.get("category").asText()).isEqualTo("messages");
        assertThat(allowed.get("event").asText()).isEqualTo("broadcast");
        assertThat(allowed.get("connectionId").asText()).isEqualTo("conn-1");
        assertThat(allowed.get("userId").asText()).isEqualTo("user-7");

        final JsonNode denied = byCaller(log, "127.0.0.20");
        assertThat(denied.get("caller").asText()).isEqualTo("127.0.0.20");
        assertThat(denied.get("endpoint").asText()).isEqualTo("pending");
        assertThat(denied.get("outcome").asText()).isEqualTo("denied");
        assertThat(denied.get("reason").asText()).isEqualTo("endpoint-pending");
        assertThat(denied.get("status").asInt()).isEqualTo(403);
        assertThat(denied.has("hub")).isFalse();
        assertThat(denied.has("linkId")).isFalse();
    }

    @Test
    void aCallerOfNoEndpointIsLoggedWithANullEndpoint() throws Exception {
        gateway.caller("127.0.0.1").send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").read();
        final JsonNode line = awaitLines(1).get(0);
        assertThat(line.get("endpoint").isNull()).isTrue();
        assertThat(line.get("upstream").asText()).isEqualTo("none");
        assertThat(line.get("reason").asText()).isEqualTo("public-network");
    }

    private static List<String> fieldNames(JsonNode node) {
        final List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
