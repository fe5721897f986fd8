package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.privateupstream.testing.Await;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.EventStreamClient;
import dev.privateupstream.testing.EventStreamClient.Event;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /api/events} (SPEC §12) over real sockets: every change of the endpoints in force arrives as an
 * event, whether it came through the API or from an edit of the endpoints file, a large one as {@code reset};
 * the stream ends cleanly when the gateway stops.
 */
class EndpointEventsIT {
    private static final String SPE = "/api/shared-private-endpoints";
    private static final String NEW_BODY = "{\"properties\":{\"groupId\":\"sites\",\"privateLinkResourceId\":\""
            + TestGateway.RESOURCE + "\",\"privateIps\":[\"127.0.0.70\"]}}";

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(
            () -> TestGateway.standardYaml(backend.url(), TestGateway.ADMIN_WITH_ROLES),
            () -> TestGateway.STANDARD_ENDPOINTS);

    private EventStreamClient subscribe(String token) throws Exception {
        final EventStreamClient events = EventStreamClient.open(gateway.adminPort(), token);
        assertThat(events.status()).isEqualTo(200);
        // The first comment comes once the stream is registered: changes from now on are its.
        assertThat(events.next().isComment()).isTrue();
        return events;
    }

    @Test
    void aReaderSeesEachApiChangeAsItHappens() throws Exception {
        try (EventStreamClient events = subscribe(TestGateway.READER_TOKEN)) {
            assertThat(events.header("Content-Type")).startsWith("text/event-stream");
            assertThat(events.header("Cache-Control")).isEqualTo("no-store");
            assertThat(events.header("Transfer-Encoding")).isEqualTo("chunked");

            assertThat(gateway.admin().put(SPE + "/new-spe", NEW_BODY).status()).isEqualTo(201);
            Event event = events.nextEvent();
            assertThat(event.type()).isEqualTo("endpoint");
            JsonNode data = event.json();
            assertThat(data.get("name").asText()).isEqualTo("new-spe");
            assertThat(data.get("change").asText()).isEqualTo("created");
            assertThat(data.get("resource")).isEqualTo(gateway.admin().get(SPE + "/new-spe").json());

            assertThat(gateway.admin().post(SPE + "/new-spe/approve", "{\"description\":\"ok\"}").status())
                    .isEqualTo(200);
            data = events.nextEvent().json();
            assertThat(data.get("change").asText()).isEqualTo("updated");
            assertThat(data.get("resource").get("properties").get("status").asText()).isEqualTo("Approved");

            assertThat(gateway.admin().delete(SPE + "/new-spe").status()).isEqualTo(204);
            data = events.nextEvent().json();
            assertThat(data.get("name").asText()).isEqualTo("new-spe");
            assertThat(data.get("change").asText()).isEqualTo("deleted");
            assertThat(data.has("resource")).isFalse();

            // A change that changes nothing (approving the approved) is no event: the next one is the next change.
            assertThat(gateway.admin().post(SPE + "/approved/approve", null).status()).isEqualTo(200);
            assertThat(gateway.admin().post(SPE + "/pending/reject", null).status()).isEqualTo(200);
            assertThat(events.nextEvent().json().get("name").asText()).isEqualTo("pending");
        }
    }

    @Test
    void anEditOfTheEndpointsFileArrivesAsEvents() throws Exception {
        try (EventStreamClient events = subscribe(TestGateway.ADMIN_TOKEN)) {
            writeEndpoints(TestGateway.STANDARD_ENDPOINTS
                    .replace(TestGateway.endpoint("timeout", TestGateway.RESOURCE, "Timeout", "127.0.0.50"), "")
                    .replace("name: pending\n  groupId: sites\n  privateLinkResourceId: " + TestGateway.RESOURCE
                            + "\n  status: Pending", "name: pending\n  groupId: sites\n  privateLinkResourceId: "
                            + TestGateway.RESOURCE + "\n  status: Approved")
                    + TestGateway.endpoint("from-file", TestGateway.RESOURCE, "Pending", "127.0.0.80"));
            final List<Event> seen = List.of(events.nextEvent(), events.nextEvent(), events.nextEvent());
            assertThat(seen).extracting(Event::type).containsOnly("endpoint");
            final List<String> changes = seen.stream().map(e -> name(e) + " " + field(e, "change")).toList();
            // Creations and updates in file order, then deletions.
            assertThat(changes).containsExactly("pending updated", "from-file created", "timeout deleted");
        }
    }

    @Test
    void moreThanAThousandChangesAtOnceAreOneReset() throws Exception {
        try (EventStreamClient events = subscribe(TestGateway.ADMIN_TOKEN)) {
            final StringBuilder many = new StringBuilder(TestGateway.STANDARD_ENDPOINTS);
            for (int i = 0; i <= EndpointEvents.RESET_THRESHOLD; i++) {
                many.append(TestGateway.endpoint(String.format("bulk-%04d", i), TestGateway.RESOURCE, "Pending",
                        "10.60." + (i / 256) + "." + (i % 256)));
            }
            writeEndpoints(many.toString());
            final Event reset = events.nextEvent();
            assertThat(reset.type()).isEqualTo("reset");
            assertThat(reset.data()).isEqualTo("{}");
            // And after it, single changes again.
            assertThat(gateway.admin().delete(SPE + "/bulk-0007").status()).isEqualTo(204);
            assertThat(name(events.nextEvent())).isEqualTo("bulk-0007");
        }
    }

    @Test
    void subscribersAreCountedAndTheirStreamsEndCleanlyWhenTheGatewayStops() throws Exception {
        try (EventStreamClient refused = EventStreamClient.open(gateway.adminPort(), null)) {
            assertThat(refused.status()).isEqualTo(401);
        }
        final EventStreamClient first = subscribe(TestGateway.ADMIN_TOKEN);
        final EventStreamClient second = subscribe(TestGateway.READER_TOKEN);
        assertThat(subscribersGauge()).isEqualTo("2.0");
        second.close();
        Await.until("the closed stream no longer counted", () -> subscribersGauge().equals("1.0"));
        try (first) {
            gateway.get().close();
            assertThat(first.endedByServer()).isTrue();
        }
    }

    private String subscribersGauge() {
        try {
            final String scrape = gateway.admin().withToken(null).get("/metrics").body();
            return scrape.lines().filter(l -> l.startsWith("gateway_admin_event_subscribers "))
                    .map(l -> l.substring(l.indexOf(' ') + 1)).findFirst().orElse("absent");
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static String name(Event event) {
        return field(event, "name");
    }

    private static String field(Event event, String field) {
        try {
            return event.json().get(field).asText();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private void writeEndpoints(String yaml) throws Exception {
        final Path file = gateway.dir().resolve("endpoints.yaml");
        final Path temp = gateway.dir().resolve("endpoints.yaml.tmp");
        Files.writeString(temp, yaml);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
