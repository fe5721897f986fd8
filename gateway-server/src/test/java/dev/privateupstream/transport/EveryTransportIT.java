package dev.privateupstream.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.RecordingBackend.Recorded;
import dev.privateupstream.testing.StandardRig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The gateway on each transport {@code run --transport} offers (io_uring, epoll, NIO, where they load): the
 * proxy listener, its connections and the backend pool over real loopback sockets. The other integration
 * tests run on {@code auto} and again on epoll (see {@code TestTransport}); these cover NIO too, and what a
 * transport changes underneath: accepting, reading, writing, keep-alive on both sides and pipelining.
 */
class EveryTransportIT {
    private static final String CALL = "POST /api/v1/hubs/chat HTTP/1.1\r\nHost: func-a.example\r\n"
            + "Content-Type: application/json\r\nX-ASRS-Hub: chat\r\nX-Forwarded-For: 203.0.113.66\r\n"
            + "Content-Length: 11\r\n\r\n{\"type\":10}";

    @TempDir
    Path dir;

    private static StandardRig start(Path dir, Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(),
                () -> transport + " does not load here: " + transport.unavailabilityCause());
        return StandardRig.start(dir, transport);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void forwardsCallsOnOneKeepAliveConnectionEachWay(Transport transport) throws Exception {
        try (StandardRig rig = start(dir, transport);
                RawClient client = new RawClient("127.0.0.10", rig.gateway().port())) {
            for (int i = 0; i < 3; i++) {
                final Response response = client.send(CALL).read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.bodyText()).isEqualTo("{\"ok\":true}");
            }
            final RecordingBackend backend = rig.backend();
            assertThat(backend.awaitCount(3, Duration.ofSeconds(5))).isTrue();
            for (Recorded seen : backend.received()) {
                assertThat(seen.headers("X-Forwarded-For")).containsExactly("127.0.0.10");
                assertThat(new String(seen.body(), StandardCharsets.UTF_8)).isEqualTo("{\"type\":10}");
            }
            assertThat(backend.acceptedConnections()).as("backend connections").isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void refusesThePublicNetwork(Transport transport) throws Exception {
        try (StandardRig rig = start(dir, transport);
                RawClient client = new RawClient("127.0.0.1", rig.gateway().port())) {
            final Response response = client.send(CALL).read();
            assertThat(response.status()).isEqualTo(403);
            assertThat(response.bodyText()).contains("public-network");
            assertThat(rig.backend().received()).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void answersPipelinedCallsInOrder(Transport transport) throws Exception {
        try (StandardRig rig = start(dir, transport);
                RawClient client = new RawClient("127.0.0.10", rig.gateway().port())) {
            client.send(CALL.replace("/chat", "/one") + CALL.replace("/chat", "/two"));
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(rig.backend().awaitCount(2, Duration.ofSeconds(5))).isTrue();
            assertThat(rig.backend().received()).extracting(Recorded::uri)
                    .containsExactly("/api/v1/hubs/one", "/api/v1/hubs/two");
        }
    }
}
