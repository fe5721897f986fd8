package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.GatewayServer;
import dev.privateupstream.testing.Await;
import dev.privateupstream.testing.FaultyBackend;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.PrometheusText;
import dev.privateupstream.testing.ServerExtension;
import dev.privateupstream.testing.TestCertificates;
import dev.privateupstream.testing.TestCertificates.Issued;
import dev.privateupstream.testing.TestGateway;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code limits.sendTimeout} over real sockets (SPEC §4): a client that asks for a large answer and never
 * reads it is cut off once the gateway could write nothing to it for the timeout, counted in
 * {@code gateway_send_timeouts_total}, logged as aborted, and its backend connection and buffers are let go,
 * over TLS too; a client that reads slowly but steadily gets its whole answer, however long it takes in all.
 */
class SendTimeoutIT {
    private static final String HOST = "func-a.example";
    private static final long SIZE = 8L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Answers {@code SIZE} bytes, then holds the connection until the gateway closes it: the connection ends
     * (see {@link FaultyBackend#awaitAllConnectionsEnded}) only when the gateway lets it go, whether the
     * backend was still writing (its write fails) or had everything in the socket buffers.
     */
    @RegisterExtension
    final ServerExtension<FaultyBackend> backend = new ServerExtension<>(() -> FaultyBackend.start(c -> {
        c.readRequest();
        c.write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + SIZE
                + "\r\n\r\n");
        c.stream(SIZE);
        c.awaitGatewayClose(Duration.ofSeconds(60));
    }));
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.standard(() -> backend.get().url(),
            "limits:\n  sendTimeout: 1s\n");

    @TempDir
    Path tlsDir;

    private final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();
    private final Logger accessLogger = (Logger) LoggerFactory.getLogger("gateway.access");
    private Level level;

    @BeforeEach
    void captureAccessLog() {
        level = accessLogger.getLevel();
        accessLogger.setLevel(Level.INFO);
        accessLog.start();
        accessLogger.addAppender(accessLog);
    }

    @AfterEach
    void restoreAccessLog() {
        accessLogger.detachAppender(accessLog);
        accessLogger.setLevel(level);
    }

    @Test
    void aClientThatNeverReadsIsCutOffCountedAndItsBackendConnectionAndBuffersLetGo() throws Exception {
        final long pinnedBefore = pinnedDirectMemory();
        try (Socket socket = client()) {
            socket.getOutputStream().write(("GET /big HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            // Reads nothing. The gateway fills the socket, holds the high-water mark's worth of the answer, stops
            // reading from the backend, and after 1 s without being able to write more closes the connection.
            final long[] peak = {pinnedBefore};
            Await.until("the send timeout closed the connection", Duration.ofSeconds(15), () -> {
                peak[0] = Math.max(peak[0], pinnedDirectMemory());
                return sendTimeouts() == 1 && gateway.server().metrics().activeConnections() == 0;
            });
            assertThat(backend.get().awaitAllConnectionsEnded(Duration.ofSeconds(10)))
                    .as("the backend connection closed by the gateway").isTrue();
            // Pooled buffers in use (not the arenas' chunks, which stay allocated): the stalled answer's, then
            // none once the connection is gone.
            assertThat(peak[0] - pinnedBefore).as("pooled direct memory the stalled answer held")
                    .isGreaterThanOrEqualTo(32 * 1024);
            Await.until("the stalled answer's buffers released", Duration.ofSeconds(10),
                    () -> pinnedDirectMemory() <= pinnedBefore);

            // The client finds a reset after whatever its socket held: a short answer, never a clean end.
            socket.setSoTimeout(10_000);
            final long[] received = new long[1];
            final Throwable end = readToEnd(socket.getInputStream(), received);
            System.out.printf("client that never reads: backend wrote %.1f MiB of %d MiB, the client's socket "
                    + "held %.1f KiB; gateway pooled direct memory in use %d KiB before, %d KiB at the peak, "
                    + "%d KiB after%n", backend.get().bytesWritten() / 1048576.0, SIZE >> 20, received[0] / 1024.0,
                    pinnedBefore >> 10, peak[0] >> 10, pinnedDirectMemory() >> 10);
            assertThat(end).as("how the connection ended").isInstanceOf(SocketException.class);
            assertThat(received[0]).isLessThan(SIZE);
        }
        assertThat(sendTimeouts()).isEqualTo(1);
        final JsonNode line = accessLine("/big");
        assertThat(line.get("outcome").asText()).isEqualTo("aborted");
        assertThat(line.get("reason").asText()).isEqualTo("send-timeout");
        assertThat(line.get("status").asInt()).isEqualTo(200);
    }

    /**
     * Reads 16 KiB at most every 20 ms (at most 800 KiB/s): the 8 MiB take ten seconds or more, ten times the
     * send timeout, but the client never stops reading for anywhere near as long as the timeout. On loopback
     * its socket stays unwritable for over a second at a time all the same (Linux wakes a writer only once a
     * third of a send buffer of megabytes is free): only the kernel's record of data sent tells it apart from
     * a client that reads nothing.
     */
    @Test
    void aClientThatReadsSlowlyButSteadilyGetsItsWholeAnswer() throws Exception {
        try (Socket socket = client()) {
            socket.getOutputStream().write(("GET /slow HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(10_000);
            final InputStream in = socket.getInputStream();
            final String head = BackendFaultIT.readHead(in);
            assertThat(head).startsWith("http/1.1 200 "); // readHead lowercases
            final byte[] buffer = new byte[16 * 1024];
            long received = 0;
            int reads = 0;
            final long start = System.nanoTime();
            while (received < SIZE) {
                final int n = in.read(buffer, 0, (int) Math.min(buffer.length, SIZE - received));
                assertThat(n).as("bytes read after %d of %d", received, SIZE).isPositive();
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != (byte) ((received + i) % 251)) { // FaultyBackend's pattern
                        throw new AssertionError("byte " + (received + i) + " differs");
                    }
                }
                received += n;
                Thread.sleep(20);
                reads++;
            }
            System.out.printf("slow reader: %d MiB in %d ms over %d reads%n", SIZE >> 20,
                    (System.nanoTime() - start) / 1_000_000, reads);
            assertThat(received).isEqualTo(SIZE);
        }
        assertThat(sendTimeouts()).isZero();
        assertThat(accessLine("/slow").get("outcome").asText()).isEqualTo("forwarded");
    }

    /**
     * Over TLS the same: the gateway's close does not wait to send a close_notify the client would never take,
     * and the records waiting for it are released (the leak detector would say otherwise).
     */
    @Test
    void overTlsANonReaderIsCutOffToo() throws Exception {
        final TestCertificates ca = TestCertificates.create(tlsDir, "gateway-ca");
        final Issued served = ca.issue("gateway", "localhost", "DNS:localhost", "IP:127.0.0.1");
        final String listen = "  tls:\n    certificate: " + served.certificate() + "\n    privateKey: "
                + served.privateKey() + "\n";
        try (TestGateway tls = TestGateway.start(tlsDir, TestGateway.gatewayYaml(listen,
                TestGateway.standardUpstreams(backend.get().url()), "limits:\n  sendTimeout: 1s\n"),
                TestGateway.STANDARD_ENDPOINTS);
                Socket raw = client(tls.port())) {
            final SSLSocket socket = (SSLSocket) trusting(ca).getSocketFactory().createSocket(raw, "localhost",
                    tls.port(), true);
            socket.startHandshake();
            socket.getOutputStream().write(("GET /big HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            Await.until("the send timeout closed the TLS connection", Duration.ofSeconds(15),
                    () -> sendTimeouts(tls.server()) == 1 && tls.server().metrics().activeConnections() == 0);
            assertThat(backend.get().awaitAllConnectionsEnded(Duration.ofSeconds(10)))
                    .as("the backend connection closed by the gateway").isTrue();
        }
    }

    private Socket client() throws IOException {
        return client(gateway.port());
    }

    /** A connection from the approved caller 127.0.0.10 whose receive buffer is small (16 KiB asked). */
    private static Socket client(int port) throws IOException {
        final Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.10"), 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        return socket;
    }

    private static SSLContext trusting(TestCertificates ca) throws Exception {
        final KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(ca.caCertificate())) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /** Reads until the end; what ended it: {@code null} for a clean end of stream, else the exception. */
    private static Throwable readToEnd(InputStream in, long[] received) throws IOException {
        final byte[] buffer = new byte[64 * 1024];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                received[0] += n;
            }
            return null;
        } catch (SocketTimeoutException e) {
            throw e; // neither a close nor a reset within 10 s
        } catch (SocketException e) {
            return e;
        }
    }

    private double sendTimeouts() {
        return sendTimeouts(gateway.server());
    }

    /** {@code gateway_send_timeouts_total} as scraped, or -1 when the gateway has no such counter. */
    private static double sendTimeouts(GatewayServer server) {
        final Double value = PrometheusText.parse(server.metrics().scrape())
                .value("gateway_send_timeouts_total", Map.of());
        return value == null ? -1 : value;
    }

    private static long pinnedDirectMemory() {
        return PooledByteBufAllocator.DEFAULT.pinnedDirectMemory();
    }

    private JsonNode accessLine(String path) throws Exception {
        Await.until("the access log line of " + path, Duration.ofSeconds(5), () -> find(path) != null);
        return JSON.readTree(find(path));
    }

    private String find(String path) {
        final List<ILoggingEvent> events;
        synchronized (accessLog) { // the appender's lock: the gateway's threads append under it
            events = new ArrayList<>(accessLog.list);
        }
        for (ILoggingEvent event : events) {
            if (event.getFormattedMessage().contains("\"path\":\"" + path + "\"")) {
                return event.getFormattedMessage();
            }
        }
        return null;
    }
}
