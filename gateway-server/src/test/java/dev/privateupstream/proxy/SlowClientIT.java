package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.FaultyBackend;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.ServerExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Slow and abusive clients over real sockets (SPEC §4 {@code limits}, §6): a head dribbled byte by byte
 * is cut at {@code headerTimeout} with {@code 408}; a slow upload is served; a stalled one is cut at
 * {@code upstreamResponseTimeout}; a client that never reads its answer makes the gateway stop reading from
 * the backend instead of buffering, so its memory stays bounded.
 */
class SlowClientIT {
    private static final String HOST = "func-a.example";

    /** Echoes each request's body back, on a kept-alive connection. */
    @RegisterExtension
    final ServerExtension<FaultyBackend> backend = new ServerExtension<>(() -> FaultyBackend.start(c -> {
        FaultyBackend.Request request;
        while ((request = c.readRequest()) != null) {
            c.write("HTTP/1.1 200 OK\r\nContent-Length: " + request.body().length + "\r\n\r\n").write(request.body());
        }
    }));
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.standard(() -> backend.get().url(),
            "limits:\n  headerTimeout: 1s\n  idleTimeout: 2s\n  upstreamResponseTimeout: 3s\n");

    /** Writes {@code text} one byte at a time, {@code pauseMillis} apart, until done or the socket fails. */
    private static Thread dribble(RawClient client, String text, long pauseMillis) {
        final Thread t = new Thread(() -> {
            try {
                for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
                    client.send(new byte[] {b});
                    Thread.sleep(pauseMillis);
                }
            } catch (IOException | InterruptedException e) {
                // the gateway cut us off: what the test expects
            }
        }, "dribble");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void slowlorisIsCutAtTheHeaderTimeoutWith408() throws Exception {
        for (String source : new String[] {"127.0.0.10", "127.0.0.1"}) {
            try (RawClient client = client(source)) {
                dribble(client, "GET / HTTP/1.1\r\nHost: " + HOST + "\r\nX-Slow: " + "s".repeat(100) + "\r\n\r\n",
                        300);
                final Response response = client.read();
                HostileFixture.assertAnswer(response, 408, "header-timeout");
                assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
                assertThat(client.closedByServer()).as("closed after the 408").isTrue();
            }
        }
        assertThat(backend.get().requests()).isEmpty();
    }

    @Test
    void slowlorisOnASecondRequestOfAKeptAliveConnectionIsCutToo() throws Exception {
        try (RawClient client = client("127.0.0.10")) {
            assertThat(client.send("GET /fast HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n").read().status()).isEqualTo(200);
            dribble(client, "GET /slow HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n", 300);
            HostileFixture.assertAnswer(client.read(), 408, "header-timeout");
        }
        assertThat(backend.get().requests()).hasSize(1);
    }

    @Test
    void aConnectionThatNeverSendsAByteIsClosedQuietlyAtTheIdleTimeout() throws Exception {
        try (RawClient client = client("127.0.0.10")) {
            assertThat(client.closedByServer()).as("closed without an answer").isTrue();
        }
    }

    @Test
    void aSlowBodyUploadIsServedWhole() throws Exception {
        final String body = "0123456789".repeat(20);
        try (RawClient client = client("127.0.0.10")) {
            client.send("POST /slow HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: " + body.length() + "\r\n\r\n");
            // 200 bytes at 10 bytes per 100 ms: 2 s, past the 1 s header timeout, within the 3 s response timeout.
            for (int i = 0; i < body.length(); i += 10) {
                client.send(body.substring(i, i + 10));
                Thread.sleep(100);
            }
            final Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo(body);
        }
        assertThat(backend.get().requests()).hasSize(1);
        assertThat(new String(backend.get().requests().get(0).body(), StandardCharsets.US_ASCII)).isEqualTo(body);
    }

    @Test
    void aStalledBodyIsCutAtTheResponseTimeoutAndTheBackendNeverGetsItWhole() throws Exception {
        try (RawClient client = client("127.0.0.10")) {
            final Response response = client.send("POST /stalled HTTP/1.1\r\nHost: " + HOST
                    + "\r\nContent-Length: 1000\r\n\r\n" + "x".repeat(100)).read();
            HostileFixture.assertAnswer(response, 504, "upstream-timeout");
            assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(backend.get().awaitAllConnectionsEnded(Duration.ofSeconds(5))).as("backend connection dropped")
                .isTrue();
        assertThat(backend.get().requests()).isEmpty();
    }

    @Test
    void aRefusedCallerCannotHoldAConnectionWithAnEndlessBody() throws Exception {
        try (RawClient client = client("127.0.0.20")) {
            final Response denied = client.send("POST /api HTTP/1.1\r\nHost: " + HOST
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n").read();
            HostileFixture.assertAnswer(denied, 403, "endpoint-pending");
            // Then chunks trickle on, forever: discarded, and the connection still ends.
            final Thread trickle = dribble(client, "1\r\nx\r\n".repeat(100), 20);
            assertThat(client.closedByServer()).as("connection ended").isTrue();
            trickle.interrupt();
        }
        assertThat(backend.get().requests()).isEmpty();
    }

    /**
     * A client that asks for a 200 MiB answer and reads none of it: the gateway stops reading from the
     * backend once the client's socket is full, so its buffers stay small, and the backend is held back.
     */
    @Test
    void aClientThatNeverReadsHoldsTheBackendBackNotTheGatewaysMemory() throws Exception {
        final long size = 200L << 20;
        backend.get().behave(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + size
                    + "\r\n\r\n");
            c.stream(size);
        });
        final long before = BackendFaultIT.gatewayDirectMemory();
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(16 * 1024);
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.10"), 0));
            socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
            socket.getOutputStream().write(("GET /big HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            long peak = 0;
            for (int i = 0; i < 40; i++) {
                Thread.sleep(100);
                peak = Math.max(peak, BackendFaultIT.gatewayDirectMemory());
            }
            final long written = backend.get().bytesWritten();
            System.out.printf("client that never reads: backend wrote %.1f MiB of %d MiB; gateway direct memory"
                    + " %.1f MiB before, peak %.1f MiB%n", written / 1048576.0, size >> 20, before / 1048576.0,
                    peak / 1048576.0);
            // Socket buffers on both sides of the gateway hold some; the backend is far from done.
            assertThat(written).as("bytes the backend got rid of").isLessThan(64L << 20);
            assertThat(peak - before).as("gateway direct memory held for this client").isLessThan(32L << 20);
            Thread.sleep(1000);
            assertThat(backend.get().bytesWritten() - written).as("progress while nobody reads").isLessThan(1L << 20);
        }
        // The client went away: the backend connection is closed, not kept streaming into nowhere.
        assertThat(backend.get().awaitAllConnectionsEnded(Duration.ofSeconds(10))).isTrue();
    }

    private RawClient client(String source) throws IOException {
        return gateway.caller(source).timeout(15_000);
    }
}
