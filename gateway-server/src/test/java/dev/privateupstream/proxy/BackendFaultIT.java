package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateupstream.testing.FaultyBackend;
import dev.privateupstream.testing.FaultyBackend.Connection;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.TestGateway;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Backend faults over real sockets, with a backend that does exactly what each test says (SPEC §6): no
 * connection or a reset before the head is {@code 502}, no head in time is {@code 504}, a failure
 * mid-response closes the client connection so the truncation shows, a kept-alive connection the backend
 * closed is replaced without the client noticing, and no response is too large to stream.
 */
class BackendFaultIT {
    private static final String REQUEST = "POST /api HTTP/1.1\r\nHost: func-a.example\r\nContent-Length: 2\r\n\r\nhi";

    @TempDir
    Path dir;

    private FaultyBackend backend;
    private TestGateway gateway;

    @AfterEach
    void stop() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void startGateway(String url) throws Exception {
        gateway = TestGateway.start(dir, TestGateway.gatewayYaml(TestGateway.upstream("func-a", TestGateway.RESOURCE,
                url, "") + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, url,
                "    hosts: [ func-b.example ]\n"), "limits:\n  upstreamConnectTimeout: 1s\n  upstreamResponseTimeout: 1s\n"),
                TestGateway.STANDARD_ENDPOINTS);
    }

    private void start(FaultyBackend.Behaviour behaviour) throws Exception {
        backend = FaultyBackend.start(behaviour);
        startGateway(backend.url());
    }

    private RawClient client() throws IOException {
        return new RawClient("127.0.0.10", gateway.port()).timeout(10_000);
    }

    private static void ok(Connection c, String extraHeaders) throws IOException {
        c.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n" + extraHeaders + "\r\nok");
    }

    @Test
    void aBackendThatRefusesConnectionsIs502AndTheClientConnectionStaysUsable() throws Exception {
        startGateway("http://127.0.0.1:" + FaultyBackend.refusingPort());
        try (RawClient client = client()) {
            for (int i = 0; i < 3; i++) {
                final Response response = client.send(REQUEST).read();
                HostileFixture.assertAnswer(response, 502, "upstream-unreachable");
                assertThat(response.header("Connection")).isNull();
            }
        }
    }

    @Test
    void aBackendThatAcceptsAndNeverAnswersIs504AndItsConnectionIsDropped() throws Exception {
        final CountDownLatch dropped = new CountDownLatch(1);
        start(c -> {
            c.readRequest();
            if (c.awaitGatewayClose(Duration.ofSeconds(10))) {
                dropped.countDown();
            }
        });
        try (RawClient client = client()) {
            HostileFixture.assertAnswer(client.send(REQUEST).read(), 504, "upstream-timeout");
            // Not reused: a late answer must never be taken for the next request's.
            assertThat(dropped.await(5, TimeUnit.SECONDS)).isTrue();
            backend.behave(c -> {
                c.readRequest();
                ok(c, "");
            });
            assertThat(client.send(REQUEST).read().status()).isEqualTo(200);
        }
    }

    @Test
    void interimResponsesFromTheBackendAreDroppedAndTheFinalOneIsRelayed() throws Exception {
        start(c -> {
            for (int i = 0; i < 2; i++) {
                c.readRequest();
                // In one write and in parts: the interim answers must not end the exchange either way.
                c.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
                if (i == 1) {
                    Thread.sleep(50);
                }
                ok(c, "");
            }
        });
        try (RawClient client = client()) {
            for (int i = 0; i < 2; i++) {
                final Response response = client.send(REQUEST).read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.bodyText()).isEqualTo("ok");
            }
        }
    }

    @Test
    void aBackendThatClosesBeforeTheHeadIs502() throws Exception {
        start(c -> c.readRequest()); // read, then close without a word
        try (RawClient client = client()) {
            HostileFixture.assertAnswer(client.send(REQUEST).read(), 502, "upstream-unreachable");
        }
    }

    @Test
    void aBackendThatResetsBeforeTheHeadIs502() throws Exception {
        start(c -> {
            c.readRequest();
            c.reset();
        });
        try (RawClient client = client()) {
            HostileFixture.assertAnswer(client.send(REQUEST).read(), 502, "upstream-unreachable");
        }
    }

    @Test
    void aBackendThatSendsHalfAHeadAndResetsIs502() throws Exception {
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Le");
            Thread.sleep(100);
            c.reset();
        });
        try (RawClient client = client()) {
            HostileFixture.assertAnswer(client.send(REQUEST).read(), 502, "upstream-unreachable");
        }
    }

    static Stream<Arguments> truncations() {
        return Stream.of(
                Arguments.of("Content-Length, then silence", "Content-Length: 1000\r\n", false),
                Arguments.of("chunked, then silence", "Transfer-Encoding: chunked\r\n", false),
                Arguments.of("Content-Length, then reset", "Content-Length: 1000\r\n", true),
                Arguments.of("chunked, then reset", "Transfer-Encoding: chunked\r\n", true),
                Arguments.of("until close, then reset", "Connection: close\r\n", true));
    }

    /**
     * The head went out, so no error status can follow: the client connection ends, and the client can
     * tell the body is short (a Content-Length not reached, a chunked body without its last chunk).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("truncations")
    void aBackendThatFailsMidBodyEndsTheClientConnectionVisibly(String name, String framing, boolean reset)
            throws Exception {
        final byte[] part = FaultyBackend.pattern(100);
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" + framing + "\r\n");
            if (framing.contains("chunked")) {
                c.write("64\r\n").write(part).write("\r\n");
            } else {
                c.write(part);
            }
            Thread.sleep(200);
            if (reset) {
                c.reset();
            } else {
                c.awaitGatewayClose(Duration.ofSeconds(30)); // stalls; the gateway gives up on it
            }
        });
        try (RawClient client = client()) {
            client.send(REQUEST);
            assertThatThrownBy(client::read).isInstanceOf(EOFException.class);
        }
        if (!reset) {
            assertThat(backend.awaitClosedByGateway(1, Duration.ofSeconds(10))).as("stalled backend dropped").isTrue();
        }
    }

    @Test
    void aKeptAliveConnectionTheBackendClosedIsReplacedSilently() throws Exception {
        start(c -> {
            c.readRequest();
            ok(c, "");
            // Idle now: close it, and wait until the gateway has seen the close (it closes its end too).
            c.closeAndAwaitGatewayClose(Duration.ofSeconds(5));
        });
        try (RawClient client = client()) {
            assertThat(client.send(REQUEST).read().status()).isEqualTo(200);
            assertThat(backend.awaitClosedByGateway(1, Duration.ofSeconds(5))).isTrue();
            for (int i = 2; i <= 4; i++) {
                assertThat(client.send(REQUEST).read().status()).isEqualTo(200);
                assertThat(backend.awaitClosedByGateway(i, Duration.ofSeconds(5))).isTrue();
            }
        }
        assertThat(backend.accepted()).isEqualTo(4);
        assertThat(backend.requests()).hasSize(4);
    }

    /**
     * The backend closes each connection right after its answer, without saying so, and the client's next
     * request follows at once: the close has reached the gateway's kernel, but maybe not its event loop (the
     * pool checks the TCP state when it lends a connection). No request gets the 502 of a dead connection.
     * The test only waits until the backend has closed: a close that comes after the next request was
     * written is the race SPEC §6 leaves to a 502, since the request went out.
     */
    @Test
    void aBackendThatClosesRightAfterEachAnswerCostsTheClientNothing() throws Exception {
        final Semaphore closed = new Semaphore(0);
        start(c -> {
            c.readRequest();
            ok(c, "");
            c.socket().close();
            closed.release();
        });
        try (RawClient client = client()) {
            for (int i = 0; i < 20; i++) {
                assertThat(client.send(REQUEST).read().status()).as("request " + i).isEqualTo(200);
                assertThat(closed.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
            }
        }
        assertThat(backend.requests()).hasSize(20);
    }

    @Test
    void aKeptAliveConnectionResetWhileIdleIsReplacedSilently() throws Exception {
        final CountDownLatch answered = new CountDownLatch(1);
        start(c -> {
            c.readRequest();
            ok(c, "");
            answered.countDown();
            Thread.sleep(200);
            c.reset();
        });
        try (RawClient client = client()) {
            assertThat(client.send(REQUEST).read().status()).isEqualTo(200);
            assertThat(answered.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(500); // the reset has reached the gateway's idle connection
            assertThat(client.send(REQUEST).read().status()).isEqualTo(200);
        }
        assertThat(backend.requests()).hasSize(2);
    }

    @Test
    void aBackendThatAsksToCloseIsNotReused() throws Exception {
        start(c -> {
            c.readRequest();
            ok(c, "Connection: close\r\n");
            c.awaitGatewayClose(Duration.ofSeconds(5));
        });
        try (RawClient client = client()) {
            for (int i = 0; i < 3; i++) {
                final Response response = client.send(REQUEST).read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("Connection")).isNull(); // hop-by-hop: the client keeps its own
            }
        }
        assertThat(backend.accepted()).isEqualTo(3);
    }

    static Stream<Arguments> malformedResponses() {
        return Stream.of(
                Arguments.of("not HTTP", "SSH-2.0-OpenSSH_9.6\r\n\r\n"),
                Arguments.of("bad status code", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("bad version", "HTTP/9.9.9 200 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n"),
                Arguments.of("negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
                Arguments.of("differing Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                        + "Content-Length: 3\r\n\r\nok"),
                Arguments.of("status 1000", "HTTP/1.1 1000 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("status 99", "HTTP/1.1 099 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("status line over 8 KiB", "HTTP/1.1 200 " + "O".repeat(9000) + "\r\n\r\n"),
                Arguments.of("headers over 64 KiB", "HTTP/1.1 200 OK\r\nX-Big: " + "b".repeat(70_000)
                        + "\r\nContent-Length: 2\r\n\r\nok"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedResponses")
    void aMalformedResponseIs502(String name, String raw) throws Exception {
        start(c -> {
            c.readRequest();
            c.write(raw);
            c.awaitGatewayClose(Duration.ofSeconds(5));
        });
        try (RawClient client = client()) {
            HostileFixture.assertAnswer(client.send(REQUEST).read(), 502, "upstream-unreachable");
        }
        assertThat(backend.awaitClosedByGateway(1, Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void aMalformedChunkMidResponseEndsTheClientConnection() throws Exception {
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nbroken\r\n0\r\n\r\n");
            c.awaitGatewayClose(Duration.ofSeconds(5));
        });
        try (RawClient client = client()) {
            client.send(REQUEST);
            assertThatThrownBy(client::read).isInstanceOf(EOFException.class);
        }
    }

    /**
     * No limit applies to response bodies: a body larger than every limit streams through whole and
     * byte-exact, with the gateway's buffers bounded meanwhile.
     */
    @Test
    void aResponseLargerThanAnyLimitStreamsThroughWhole() throws Exception {
        final long size = 64L << 20;
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + size + "\r\n\r\n");
            c.stream(size);
        });
        final byte[] expected = FaultyBackend.pattern(251 * 261);
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.10"), 0));
            socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
            final InputStream in = socket.getInputStream();
            final String head = readHead(in);
            assertThat(head).startsWith("http/1.1 200 ").contains("content-length: " + size);
            final byte[] buf = new byte[65536];
            long received = 0;
            long peak = 0;
            int n;
            while (received < size && (n = in.read(buf, 0, (int) Math.min(buf.length, size - received))) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != expected[(int) ((received + i) % expected.length)]) {
                        throw new AssertionError("byte " + (received + i) + " differs");
                    }
                }
                received += n;
                if ((received & 0xfffff) < n) {
                    peak = Math.max(peak, gatewayDirectMemory());
                }
            }
            assertThat(received).isEqualTo(size);
            System.out.printf("response of %d MiB streamed whole; gateway direct memory peak %.1f MiB%n", size >> 20,
                    peak / 1048576.0);
            assertThat(peak).as("gateway direct memory while streaming").isLessThan(32L << 20);
        }
    }

    static String readHead(InputStream in) throws IOException {
        final StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            final int c = in.read();
            if (c < 0) {
                throw new EOFException("head: " + sb);
            }
            sb.append((char) c);
        }
        return sb.toString().toLowerCase(java.util.Locale.ROOT);
    }

    /** Direct memory held by the gateway's allocators: the client side's pooled one and the default one. */
    static long gatewayDirectMemory() {
        long used = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        if (ByteBufAllocator.DEFAULT != PooledByteBufAllocator.DEFAULT
                && ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider) {
            used += ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
        }
        return used;
    }
}
