package dev.privateupstream.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sender's HTTP/1.1 response reading, against a socket server that answers with canned bytes. */
class UpstreamCallSenderTest {

    private static final UpstreamCall CALL = UpstreamCall.connected("chat", "c1");

    private ServerSocket server;
    private Thread serverThread;
    /** What the server does after reading a request. */
    private record Canned(byte[] bytes, boolean closeAfter, boolean silent) {
    }

    private final BlockingQueue<Canned> answers = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> requestHeads = new LinkedBlockingQueue<>();
    private final BlockingQueue<InetSocketAddress> peers = new LinkedBlockingQueue<>();
    private final UpstreamCallSender sender = new UpstreamCallSender(Duration.ofSeconds(5), Duration.ofMillis(500));
    private InetAddress source;

    private static final Canned CLOSE = new Canned(new byte[0], true, false);
    private static final Canned SILENCE = new Canned(new byte[0], true, true);

    @BeforeEach
    void start() throws Exception {
        source = InetAddress.getByName("127.0.0.10");
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        serverThread = new Thread(this::serve, "canned-http-server");
        serverThread.setDaemon(true);
        serverThread.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        serverThread.join(2000);
    }

    private URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/ignored");
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                peers.add((InetSocketAddress) socket.getRemoteSocketAddress());
                final InputStream in = socket.getInputStream();
                while (true) {
                    final String head = readRequest(in);
                    if (head == null) {
                        break;
                    }
                    requestHeads.add(head);
                    final Canned answer = answers.poll(5, TimeUnit.SECONDS);
                    if (answer == null) {
                        break;
                    }
                    if (answer.silent()) {
                        Thread.sleep(1500);
                    }
                    socket.getOutputStream().write(answer.bytes());
                    socket.getOutputStream().flush();
                    if (answer.closeAfter()) {
                        break;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the test closed the server, or the client went away
            }
        }
    }

    /** Reads a request head and a Content-Length body; returns the head, or null at the end of the stream. */
    private static String readRequest(InputStream in) throws IOException {
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            final int b = in.read();
            if (b == -1) {
                return null;
            }
            head.write(b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : 0;
        }
        final String text = head.toString(StandardCharsets.UTF_8);
        for (String line : text.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                in.readNBytes(Integer.parseInt(line.substring(15).strip()));
            }
        }
        return text;
    }

    private void answer(String... responses) {
        for (String response : responses) {
            answers.add(new Canned(response.getBytes(StandardCharsets.ISO_8859_1), false, false));
        }
    }

    private void answerAndClose(String response) {
        answers.add(new Canned(response.getBytes(StandardCharsets.ISO_8859_1), true, false));
    }

    @Test
    void sendsFromTheChosenSourceWithTheCallsPathAndHost() throws Exception {
        answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        final UpstreamCallResult result = sender.send(source, uri(), CALL);
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.bodyText()).isEqualTo("ok");
        assertThat(peers.take().getAddress()).isEqualTo(source);
        final String head = requestHeads.take();
        assertThat(head).startsWith("POST " + UpstreamCall.FUNCTIONS_PATH + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.getLocalPort() + "\r\n");
    }

    @Test
    void contentLengthBody() throws Exception {
        answer("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-Multi: a\r\nx-multi: b\r\nContent-Length: 5\r\n\r\nhello");
        final UpstreamCallResult result = sender.send(source, uri(), CALL);
        assertThat(result.status()).isEqualTo(201);
        assertThat(result.reasonPhrase()).isEqualTo("Created");
        assertThat(result.header("CONTENT-TYPE")).isEqualTo("text/plain");
        assertThat(result.headers("X-Multi")).containsExactly("a", "b");
        assertThat(result.headers()).extracting(HeaderField::name).containsExactly("Content-Type", "X-Multi", "x-multi", "Content-Length");
        assertThat(result.isSuccess()).isTrue();
    }

    @Test
    void chunkedBodyWithExtensionsAndTrailers() throws Exception {
        answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\nA\r\npedia in\r\n\r\n0\r\nX-Trailer: t\r\n\r\n");
        try (UpstreamCallSender.Connection connection = sender.open(source, uri())) {
            final UpstreamCallResult result = connection.send(CALL);
            assertThat(result.bodyText()).isEqualTo("Wikipedia in\r\n");
            assertThat(result.header("X-Trailer")).isEqualTo("t");
            assertThat(connection.isOpen()).isTrue();
        }
    }

    @Test
    void bodyUntilClose() throws Exception {
        answerAndClose("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
        try (UpstreamCallSender.Connection connection = sender.open(source, uri())) {
            assertThat(connection.send(CALL).bodyText()).isEqualTo("until the end");
            assertThat(connection.isOpen()).isFalse();
        }
    }

    @Test
    void noBodyFor204And304AndHead() throws Exception {
        answer("HTTP/1.1 204 No Content\r\n\r\n",
               "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
               "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
               "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend");
        try (UpstreamCallSender.Connection connection = sender.open(source, uri())) {
            assertThat(connection.send(CALL).status()).isEqualTo(204);
            assertThat(connection.send(CALL).status()).isEqualTo(304);
            final UpstreamCallResult head = connection.send(CALL.toBuilder().method("HEAD").body(new byte[0]).build());
            assertThat(head.body()).isEmpty();
            assertThat(head.header("Content-Length")).isEqualTo("10");
            assertThat(connection.send(CALL).bodyText()).isEqualTo("end");
        }
    }

    @Test
    void skipsInterimResponses() throws Exception {
        answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        final UpstreamCallResult result = sender.send(source, uri(), CALL);
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.header("Link")).isNull();
    }

    @Test
    void connectionCloseEndsKeepAlive() throws Exception {
        answer("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        try (UpstreamCallSender.Connection connection = sender.open(source, uri())) {
            final UpstreamCallResult result = connection.send(CALL);
            assertThat(result.status()).isEqualTo(403);
            assertThat(result.isSuccess()).isFalse();
            assertThat(connection.isOpen()).isFalse();
            assertThatThrownBy(() -> connection.send(CALL))
                .isInstanceOf(ConnectionClosedException.class)
                .hasMessageContaining("without keep-alive");
        }
    }

    @Test
    void http10WithoutKeepAliveCloses() throws Exception {
        answer("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
        try (UpstreamCallSender.Connection connection = sender.open(source, uri())) {
            connection.send(CALL);
            assertThat(connection.isOpen()).isFalse();
        }
    }

    @Test
    void serverClosesBeforeAResponse() throws Exception {
        answers.add(CLOSE);
        assertThatThrownBy(() -> sender.send(source, uri(), CALL))
            .isInstanceOf(ConnectionClosedException.class)
            .hasMessageContaining("closed by the server before a response");
    }

    @Test
    void serverClosesBetweenCallsOnAKeptAliveConnection() throws Exception {
        answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        answers.add(CLOSE);
        try (UpstreamCallSender.Connection connection = sender.open(source, uri())) {
            assertThat(connection.send(CALL).status()).isEqualTo(200);
            assertThatThrownBy(() -> connection.send(CALL)).isInstanceOf(ConnectionClosedException.class);
            assertThat(connection.isOpen()).isFalse();
        }
    }

    @Test
    void truncatedBody() throws Exception {
        answerAndClose("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
        assertThatThrownBy(() -> sender.send(source, uri(), CALL))
            .isInstanceOf(ConnectionClosedException.class)
            .hasMessageContaining("after 5 of 10 body bytes");
        answerAndClose("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
        assertThatThrownBy(() -> sender.send(source, uri(), CALL)).isInstanceOf(ConnectionClosedException.class);
        answerAndClose("HTTP/1.1 200 OK\r\nContent-Le");
        assertThatThrownBy(() -> sender.send(source, uri(), CALL))
            .isInstanceOf(ConnectionClosedException.class)
            .hasMessageContaining("in a response head");
    }

    @Test
    void silentServerTimesOut() throws Exception {
        answers.add(SILENCE);
        assertThatThrownBy(() -> sender.send(source, uri(), CALL))
            .isInstanceOf(SocketTimeoutException.class)
            .hasMessageContaining("within PT0.5S");
    }

    @Test
    void awaitServerClose() throws Exception {
        answer("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        answerAndClose("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        try (UpstreamCallSender.Connection connection = sender.open(source, uri())) {
            assertThat(connection.send(CALL).status()).isEqualTo(400);
            assertThat(connection.awaitServerClose(Duration.ofMillis(100))).isFalse();
            assertThat(connection.isOpen()).isTrue();
            assertThat(connection.send(CALL).status()).isEqualTo(400);
            assertThat(connection.awaitServerClose(Duration.ofSeconds(2))).isTrue();
            assertThat(connection.isOpen()).isFalse();
        }
    }

    @Test
    void malformedResponses() throws Exception {
        answer("HTTP/2 200 OK\r\n\r\n");
        assertThatThrownBy(() -> sender.send(source, uri(), CALL)).isInstanceOf(IOException.class).hasMessageContaining("status line");
        answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx");
        assertThatThrownBy(() -> sender.send(source, uri(), CALL)).isInstanceOf(IOException.class).hasMessageContaining("Content-Length");
        answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        assertThatThrownBy(() -> sender.send(source, uri(), CALL)).isInstanceOf(IOException.class).hasMessageContaining("chunk size");
    }

    @Test
    void emptyReasonPhrase() throws Exception {
        answer("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n");
        try (UpstreamCallSender.Connection connection = sender.open(source, uri())) {
            assertThat(connection.send(CALL).reasonPhrase()).isEmpty();
            final UpstreamCallResult custom = connection.send(CALL);
            assertThat(custom.status()).isEqualTo(299);
            assertThat(custom.reasonPhrase()).isEmpty();
        }
    }

    @Test
    void namesWhatFailedToConnect() throws Exception {
        final int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        assertThatThrownBy(() -> sender.send(source, URI.create("http://127.0.0.1:" + port), CALL))
            .isInstanceOf(IOException.class)
            .hasMessageContaining("cannot connect to 127.0.0.1:" + port + " from 127.0.0.10");
        assertThatThrownBy(() -> sender.send(InetAddress.getByName("192.0.2.1"), uri(), CALL))
            .isInstanceOf(IOException.class)
            .hasMessageContaining("cannot bind source address 192.0.2.1");
        assertThatThrownBy(() -> sender.open(source, URI.create("https://127.0.0.1:1")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("expected: http://");
    }

    @Test
    void rejectsBadTimeouts() {
        assertThatThrownBy(() -> new UpstreamCallSender(Duration.ZERO, Duration.ofSeconds(1)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("connectTimeout: PT0S");
        assertThat(List.of(UpstreamCallSender.DEFAULT_TIMEOUT)).containsExactly(Duration.ofSeconds(10));
    }
}
