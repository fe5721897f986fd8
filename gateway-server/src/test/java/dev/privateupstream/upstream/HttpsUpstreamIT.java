package dev.privateupstream.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.RecordingBackend.Reply;
import dev.privateupstream.testing.TestCertificates;
import dev.privateupstream.testing.TestCertificates.Issued;
import dev.privateupstream.testing.TestGateway;
import dev.privateupstream.tls.UpstreamTls;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code https} upstreams: a real TLS backend whose certificate comes from a private CA made at test time.
 * The gateway verifies the chain (against {@code caFile} or the system trust store) and the host name of
 * the upstream URL; a backend it cannot verify gets no request, and the caller {@code 502}. A rewritten
 * {@code caFile} is trusted by the connections made after it loads; one that does not load is logged and
 * the trust roots in force stay.
 */
class HttpsUpstreamIT {
    @TempDir
    static Path certificates;

    @TempDir
    Path dir;

    private static TestCertificates ca;
    private static Issued backendCertificate;
    private static Issued otherHostCertificate;
    /** A second CA, and a backend certificate (same names) that only it signed. */
    private static TestCertificates ca2;
    private static Issued backendCertificateOfCa2;
    private RecordingBackend backend;
    private TestGateway gateway;

    @BeforeAll
    static void makeCertificates() throws Exception {
        ca = TestCertificates.create(certificates, "backend-ca");
        backendCertificate = ca.issue("backend", "backend", "DNS:localhost", "IP:127.0.0.1");
        otherHostCertificate = ca.issue("other", "other.example", "DNS:other.example");
        ca2 = TestCertificates.create(certificates, "backend-ca-2");
        backendCertificateOfCa2 = ca2.issue("backend-2", "backend", "DNS:localhost", "IP:127.0.0.1");
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void start(Issued served, String host, String upstreamExtra) throws Exception {
        backend = RecordingBackend.startTls(SslContextBuilder.forServer(served.certificate().toFile(),
                served.privateKey().toFile()).protocols("TLSv1.3", "TLSv1.2").build());
        final String url = "https://" + host + ":" + backend.port();
        gateway = TestGateway.start(dir, TestGateway.gatewayYaml(
                TestGateway.upstream("func-a", TestGateway.RESOURCE, url, upstreamExtra)
                + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, url, "    hosts: [ func-b.example ]\n"),
                ""), TestGateway.STANDARD_ENDPOINTS);
    }

    private Response call() throws Exception {
        try (RawClient client = new RawClient("127.0.0.10", gateway.port())) {
            return call(client);
        }
    }

    private static Response call(RawClient client) throws Exception {
        return client.send("POST /api HTTP/1.1\r\nHost: func-a.example\r\nContent-Length: 2\r\n\r\nhi").read();
    }

    private String caFile() {
        return "    caFile: " + ca.caCertificate() + "\n";
    }

    @Test
    void backendSignedByTheConfiguredCaIsAccepted() throws Exception {
        start(backendCertificate, "127.0.0.1", caFile());
        final Response response = call();
        assertThat(response.status()).isEqualTo(200);
        assertThat(backend.received()).singleElement().satisfies(r -> {
            assertThat(new String(r.body(), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("hi");
            assertThat(r.header("X-Forwarded-For")).isEqualTo("127.0.0.10");
        });
        // Kept alive and reused like a plain connection.
        assertThat(call().status()).isEqualTo(200);
        assertThat(backend.acceptedConnections()).isBetween(1, 2);
    }

    @Test
    void urlWithAHostNameIsVerifiedAgainstTheDnsNames() throws Exception {
        start(backendCertificate, "localhost", caFile());
        assertThat(call().status()).isEqualTo(200);
    }

    @Test
    void backendOfAnUnknownCaIsRefusedWithoutTheRequest() throws Exception {
        start(backendCertificate, "127.0.0.1", "");
        final Response response = call();
        assertThat(response.status()).isEqualTo(502);
        assertThat(response.bodyText()).contains("upstream-unreachable");
        assertThat(backend.received()).isEmpty();
    }

    @Test
    void certificateForAnotherHostIsRefused() throws Exception {
        start(otherHostCertificate, "127.0.0.1", caFile());
        final Response response = call();
        assertThat(response.status()).isEqualTo(502);
        assertThat(backend.received()).isEmpty();
    }

    /** A CA file of the test's own, which it rewrites: starts as a copy of {@code source}. */
    private Path trustedCopyOf(Path source) throws Exception {
        final Path file = dir.resolve("trusted-ca.pem");
        Files.copy(source, file);
        return file;
    }

    /** Replaces {@code file}'s content by an atomic rename, as a secret or ConfigMap update does. */
    private static void rewrite(Path file, byte[] content) throws Exception {
        final Path temporary = file.resolveSibling(file.getFileName() + ".new");
        Files.write(temporary, content);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Calls on {@code client} until the status is {@code expected}; the CA file is polled once a second. One
     * client connection stays on one event loop, so every call goes through the same pool of backend
     * connections (each loop has its own).
     */
    private static void awaitStatus(RawClient client, int expected) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        int status;
        while ((status = call(client).status()) != expected) {
            assertThat(System.nanoTime()).as("still " + status + ", expected " + expected).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void rewrittenCaFileIsTrustedByNewConnectionsAndOneThatDoesNotLoadKeepsTheRootsInForce() throws Exception {
        final ListAppender<ILoggingEvent> lines = new ListAppender<>();
        final Logger tlsLog = (Logger) LoggerFactory.getLogger(UpstreamTls.class);
        lines.start();
        tlsLog.addAppender(lines);
        try {
            final Path trusted = trustedCopyOf(ca.caCertificate());
            start(backendCertificateOfCa2, "127.0.0.1", "    caFile: " + trusted + "\n");
            // Every reply closes its connection, so each call is a new connection with a handshake of its own.
            backend.respond(r -> new Reply(200, Map.of("Connection", "close"), "{}".getBytes(), 0));
            try (RawClient client = new RawClient("127.0.0.10", gateway.port())) {
                assertThat(call(client).status()).isEqualTo(502);
                assertThat(backend.received()).isEmpty();

                rewrite(trusted, Files.readAllBytes(ca2.caCertificate()));
                awaitStatus(client, 200);
                assertThat(lines.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                        .contains("reloaded", trusted.toString()));

                // Garbage: refused, the file and what is wrong in the log, and the second CA still trusted.
                rewrite(trusted, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".getBytes());
                awaitLog(lines, Level.WARN, trusted + ": certificate 1 cannot be read");
                final int connections = backend.acceptedConnections();
                assertThat(call(client).status()).isEqualTo(200);
                assertThat(backend.acceptedConnections()).as("a new connection").isGreaterThan(connections);

                // The watch goes on: the first CA again, and the backend is refused again.
                rewrite(trusted, Files.readAllBytes(ca.caCertificate()));
                awaitStatus(client, 502);
            }
        } finally {
            tlsLog.detachAppender(lines);
        }
    }

    @Test
    void pooledConnectionsVerifiedUnderTheOldRootsAreNotLentAgain() throws Exception {
        final Path trusted = trustedCopyOf(ca.caCertificate());
        start(backendCertificate, "127.0.0.1", "    caFile: " + trusted + "\n");
        try (RawClient client = new RawClient("127.0.0.10", gateway.port())) {
            assertThat(call(client).status()).isEqualTo(200);
            assertThat(call(client).status()).isEqualTo(200);
            assertThat(backend.acceptedConnections()).as("kept alive and reused").isEqualTo(1);

            // The backend's CA is no longer trusted: the warm connection made under the old roots must not
            // carry the next request, or removing a CA would take effect only when the backend hangs up.
            rewrite(trusted, Files.readAllBytes(ca2.caCertificate()));
            awaitStatus(client, 502);
        }
    }

    private static void awaitLog(ListAppender<ILoggingEvent> lines, Level level, String text) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (lines.list.stream().noneMatch(e -> e.getLevel() == level && e.getFormattedMessage().contains(text))) {
            assertThat(System.nanoTime()).as("no " + level + " line with " + text + " in " + lines.list)
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
