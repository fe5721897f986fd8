package dev.privateupstream.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestCertificates;
import dev.privateupstream.testing.TestCertificates.Issued;
import dev.privateupstream.testing.TestGateway;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code https} upstreams: a real TLS backend whose certificate comes from a private CA made at test time.
 * The gateway verifies the chain (against {@code caFile} or the system trust store) and the host name of
 * the upstream URL; a backend it cannot verify gets no request, and the caller {@code 502}.
 */
class HttpsUpstreamIT {
    @TempDir
    static Path certificates;

    @TempDir
    Path dir;

    private static TestCertificates ca;
    private static Issued backendCertificate;
    private static Issued otherHostCertificate;
    private RecordingBackend backend;
    private TestGateway gateway;

    @BeforeAll
    static void makeCertificates() throws Exception {
        ca = TestCertificates.create(certificates, "backend-ca");
        backendCertificate = ca.issue("backend", "backend", "DNS:localhost", "IP:127.0.0.1");
        otherHostCertificate = ca.issue("other", "other.example", "DNS:other.example");
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
            return client.send("POST /api HTTP/1.1\r\nHost: func-a.example\r\nContent-Length: 2\r\n\r\nhi").read();
        }
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
}
