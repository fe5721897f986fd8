package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.FaultyBackend;
import dev.privateupstream.testing.FaultyBackend.Connection;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.ServerExtension;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Responses of every framing reach the client framed right, on one keep-alive connection: a response
 * whose head and body come in one backend read goes on as one message, one whose body comes later in
 * parts, and the bodiless ones (HEAD, 204, 304) without a body. Each exchange is followed by another on
 * the same client connection, which would break if a body byte were missing or left over.
 */
class ResponseFramingIT {
    private static final String HOST = "Host: func-a.example\r\n";

    /** Scripted by each test through {@link #client}; until then it closes what it accepts, unanswered. */
    @RegisterExtension
    final ServerExtension<FaultyBackend> backend = new ServerExtension<>(() -> FaultyBackend.start(c -> { }));
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.standard(() -> backend.get().url(), "");

    /**
     * Scripts the backend, then opens the client. The gateway connects to the backend only for the first
     * request, and each connection the backend accepts runs the script current then: this one.
     */
    private RawClient client(FaultyBackend.Behaviour behaviour) throws IOException {
        backend.get().behave(behaviour);
        return gateway.caller("127.0.0.10").timeout(10_000);
    }

    /** The backend answers a connection's first request with {@code first}, its second with {@code ok}. */
    private static void answerThenOk(Connection c, String first) throws IOException {
        c.readRequest();
        c.write(first);
        c.readRequest();
        c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }

    private static Response get(RawClient client, String target) throws IOException {
        return client.send("GET " + target + " HTTP/1.1\r\n" + HOST + "\r\n").read();
    }

    private static void assertNextIsOk(RawClient client) throws IOException {
        final Response next = get(client, "/next");
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.bodyText()).isEqualTo("ok");
    }

    @Test
    void headAndBodyInOneBackendWrite() throws Exception {
        final RawClient client = client(c -> answerThenOk(c,
                "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello"));
        final Response response = get(client, "/a");
        assertThat(response.status()).isEqualTo(201);
        assertThat(response.bodyText()).isEqualTo("hello");
        assertThat(response.header("Content-Length")).isEqualTo("5");
        assertThat(response.header("Connection")).isNull(); // hop-by-hop: not passed on
        assertNextIsOk(client);
    }

    @Test
    void headFirstThenTheBodyInParts() throws Exception {
        final RawClient client = client(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
            Thread.sleep(50);
            c.write("hello");
            Thread.sleep(50);
            c.write("world");
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
        final Response response = get(client, "/a");
        assertThat(response.bodyText()).isEqualTo("helloworld");
        assertNextIsOk(client);
    }

    @Test
    void aChunkedBodyInOneWriteStaysChunked() throws Exception {
        final RawClient client = client(c -> answerThenOk(c,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"));
        final Response response = get(client, "/a");
        assertThat(response.header("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(response.bodyText()).isEqualTo("helloworld");
        assertNextIsOk(client);
    }

    @Test
    void noContentAndNotModifiedCarryNoBody() throws Exception {
        final RawClient client = client(c -> {
            c.readRequest();
            c.write("HTTP/1.1 204 No Content\r\n\r\n");
            c.readRequest();
            c.write("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
        assertThat(client.send("POST /a HTTP/1.1\r\n" + HOST + "Content-Length: 1\r\n\r\nx").read().status())
                .isEqualTo(204);
        final Response notModified = get(client, "/a");
        assertThat(notModified.status()).isEqualTo(304);
        assertThat(notModified.header("Transfer-Encoding")).isNull();
        assertNextIsOk(client);
    }

    @Test
    void theAnswerToHeadAnnouncesABodyItDoesNotCarry() throws Exception {
        final RawClient client = client(c -> answerThenOk(c,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"));
        final Response head = client.send("HEAD /a HTTP/1.1\r\n" + HOST + "\r\n").readHead();
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo("5");
        assertNextIsOk(client);
    }
}
