package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.RecordingBackend.Recorded;
import dev.privateupstream.testing.RecordingBackend.Reply;
import dev.privateupstream.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the backend receives for an allowed call, and what the caller gets back (SPEC §6), over real
 * sockets: callers are client sockets bound to loopback addresses, the backend a real Netty server.
 */
class ProxyForwardingIT {
    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.standard(backend);

    @Test
    void forwardsWithExactlyOneForwardedForAndNoSpoofedHeaders() throws Exception {
        final Response response = gateway.caller("127.0.0.10").send("POST /api/chat?x=1 HTTP/1.1\r\n"
                + "Host: Contoso-Func.example:8080\r\n"
                + "X-Forwarded-For: 10.1.0.4\r\n"
                + "X-Forwarded-For: 203.0.113.66, 10.9.9.9\r\n"
                + "Forwarded: for=10.1.0.4\r\n"
                + "X-Real-IP: 10.1.0.4\r\n"
                + "X-Client-IP: 10.1.0.4\r\n"
                + "True-Client-IP: 10.1.0.4\r\n"
                + "X-Forwarded-Proto: https\r\n"
                + "X-Forwarded-Host: evil.example\r\n"
                + "Connection: keep-alive, X-Secret\r\n"
                + "X-Secret: hop\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "TE: trailers\r\n"
                + "Upgrade: websocket\r\n"
                + "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
                + "Proxy-Connection: keep-alive\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: 11\r\n\r\n{\"type\":10}").read();
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("{\"ok\":true}");
        assertThat(backend.get().awaitCount(1, Duration.ofSeconds(5))).isTrue();
        final Recorded seen = backend.received().get(0);
        assertThat(seen.headers("X-Forwarded-For")).containsExactly("127.0.0.10");
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(seen.header("X-Forwarded-Host")).isEqualTo("Contoso-Func.example:8080");
        assertThat(seen.header("Host")).isEqualTo("Contoso-Func.example:8080");
        for (String removed : new String[] {"Forwarded", "X-Real-IP", "X-Client-IP", "True-Client-IP", "X-Secret",
                "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization", "Proxy-Connection", "Transfer-Encoding"}) {
            assertThat(seen.header(removed)).as(removed).isNull();
        }
        assertThat(seen.uri()).isEqualTo("/api/chat?x=1");
        assertThat(new String(seen.body(), StandardCharsets.UTF_8)).isEqualTo("{\"type\":10}");
    }

    @Test
    void streamsFiveMebibytesBothWaysByteForByte(@TempDir Path dir) throws Exception {
        final byte[] upload = new byte[5 << 20];
        new Random(42).nextBytes(upload);
        final byte[] download = new byte[5 << 20];
        new Random(7).nextBytes(download);
        backend.get().respond(r -> new Reply(200, Map.of("Content-Type", "application/octet-stream"), download, 80));
        // A 5 MiB body needs a limit above the default 1 MiB: a gateway of its own, the standard one left alone.
        try (TestGateway roomy = TestGateway.standard(dir, backend.get(), "limits:\n  maxBodyBytes: 8388608\n");
                RawClient client = new RawClient("127.0.0.10", roomy.port())) {
            final ByteArrayOutputStream chunked = new ByteArrayOutputStream();
            chunked.write(("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            for (int off = 0; off < upload.length; off += 100_000) {
                final int n = Math.min(100_000, upload.length - off);
                chunked.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                chunked.write(upload, off, n);
                chunked.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            chunked.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            final Response response = client.send(chunked.toByteArray()).read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(response.body()).isEqualTo(download);
        }
        assertThat(backend.received()).hasSize(1);
        assertThat(backend.received().get(0).body()).isEqualTo(upload);
    }

    @Test
    void reusesBackendConnectionsAcrossRequestsAndClients() throws Exception {
        for (int c = 0; c < 3; c++) {
            // Each client closes before the next opens: the backend connection outlives them all.
            try (RawClient client = gateway.caller("127.0.0.10")) {
                for (int i = 0; i < 10; i++) {
                    assertThat(client.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi").read().status())
                            .isEqualTo(200);
                }
            }
        }
        assertThat(backend.received()).hasSize(30);
        // Two event loops may each open one; without reuse there would be thirty.
        assertThat(backend.get().acceptedConnections()).isBetween(1, 2);
    }

    @Test
    void relaysBackendStatusHeadersAndBodyVerbatim() throws Exception {
        final byte[] completion = "{\"type\":3,\"invocationId\":\"1\",\"result\":\"ok\"}\u001e"
                .getBytes(StandardCharsets.UTF_8);
        backend.get().respond(r -> new Reply(201, Map.of("Content-Type", "application/json", "X-Backend", "yes",
                "Connection", "X-Backend-Hop", "X-Backend-Hop", "dropped"), completion, 0));
        final Response response = gateway.caller("127.0.0.10")
                .send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").read();
        assertThat(response.status()).isEqualTo(201);
        assertThat(response.header("X-Backend")).isEqualTo("yes");
        assertThat(response.header("X-Backend-Hop")).isNull();
        assertThat(response.header("Content-Length")).isEqualTo(Integer.toString(completion.length));
        assertThat(response.body()).isEqualTo(completion);
    }
}
