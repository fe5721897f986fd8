package dev.privateupstream.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.ExternalProcess;
import dev.privateupstream.testing.ExternalProcess.Result;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RecordingBackend.Recorded;
import dev.privateupstream.testing.TestCertificates;
import dev.privateupstream.testing.TestCertificates.Issued;
import dev.privateupstream.testing.TestGateway;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS termination on the proxy port against clients we did not write ({@code curl}, {@code openssl
 * s_client}) and the JDK's: a CA and certificate made at test time, TLS 1.2 and 1.3 accepted, 1.1
 * refused, {@code X-Forwarded-Proto: https} upstream, a rotated certificate served to new connections,
 * and a PROXY header in clear before the handshake.
 */
class TlsTerminationIT {
    @TempDir
    static Path dir;

    private static TestCertificates ca;
    private static Issued served;

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(
            () -> TestGateway.gatewayYaml(listen(), TestGateway.standardUpstreams(backend.url()), ""),
            () -> TestGateway.STANDARD_ENDPOINTS
                    + TestGateway.endpoint("private", TestGateway.RESOURCE, "Approved", "10.1.0.4"));

    /** Made once for the class: each test's gateway serves the same certificate files. */
    @BeforeAll
    static void makeCertificates() throws Exception {
        ca = TestCertificates.create(dir, "gateway-ca");
        served = ca.issue("gateway", "localhost", "DNS:localhost", "IP:127.0.0.1");
    }

    /** TLS with the class's certificate, behind a load balancer at 127.0.0.5 that may send a PROXY header. */
    private static String listen() {
        return "  tls:\n    certificate: " + served.certificate() + "\n    privateKey: " + served.privateKey()
                + "\n  proxyProtocol: optional\n  trustedProxies: [ 127.0.0.5 ]\n";
    }

    private Result openssl(String... arguments) throws Exception {
        final String[] command = new String[arguments.length + 4];
        command[0] = "openssl";
        command[1] = "s_client";
        command[2] = "-connect";
        command[3] = "127.0.0.1:" + gateway.port();
        System.arraycopy(arguments, 0, command, 4, arguments.length);
        return ExternalProcess.run(dir, Duration.ofSeconds(20), command);
    }

    @Test
    void curlCallsThroughTlsAndTheBackendSeesHttps() throws Exception {
        final String output = ExternalProcess.check(dir, "curl", "-sS", "--cacert", ca.caCertificate().toString(),
                "--interface", "127.0.0.10", "--resolve", "localhost:" + gateway.port() + ":127.0.0.1",
                "-w", "\n%{http_code} %{ssl_verify_result}", "https://localhost:" + gateway.port() + "/over-tls");
        assertThat(output).endsWith("\n200 0");
        final Recorded seen = backend.received().get(0);
        assertThat(seen.headers("X-Forwarded-Proto")).containsExactly("https");
        assertThat(seen.headers("X-Forwarded-For")).containsExactly("127.0.0.10");
    }

    @Test
    void acceptsTls13And12() throws Exception {
        for (String[] version : new String[][] {{"-tls1_3", "TLSv1.3"}, {"-tls1_2", "TLSv1.2"}}) {
            final Result result = openssl(version[0], "-servername", "localhost", "-CAfile",
                    ca.caCertificate().toString(), "-verify_return_error", "-brief");
            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output()).contains("Protocol version: " + version[1])
                    .contains("Verification: OK");
        }
    }

    @Test
    void aReturningClientResumesItsSession() throws Exception {
        // Resumption is what keeps connection churn over TLS cheap (benchmarks/README.md, issue 18).
        for (String version : new String[] {"-tls1_3", "-tls1_2"}) {
            final Path session = dir.resolve("session" + version + ".pem");
            final String client = "openssl s_client -connect 127.0.0.1:" + gateway.port() + " " + version
                    + " -servername localhost -CAfile " + ca.caCertificate() + " -ign_eof";
            // TLS 1.3 tickets are sent after the handshake, with the first answer: so ask something (the
            // connection closed after it) and keep s_client's input open meanwhile.
            final String ask = "(printf 'GET /resume HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n"
                    + "\\r\\n'; sleep 1) | ";
            final Result first = ExternalProcess.run(dir, Duration.ofSeconds(20), "sh", "-c",
                    ask + client + " -sess_out " + session);
            assertThat(session).as(version + ": s_client kept a session: " + first.output()).isNotEmptyFile();

            final Result second = ExternalProcess.run(dir, Duration.ofSeconds(20), "sh", "-c",
                    ask + client + " -sess_in " + session);
            assertThat(second.output()).as(version).contains("Reused, TLSv1." + version.charAt(version.length() - 1));
        }
    }

    @Test
    void refusesTls11() throws Exception {
        // SECLEVEL=0 lets this openssl offer TLS 1.1 at all, so the refusal is the gateway's.
        final Result result = openssl("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-servername", "localhost");
        assertThat(result.exitCode()).as(result.output()).isNotZero();
        assertThat(result.output()).containsAnyOf("alert protocol version", "unsupported protocol",
                "tlsv1 alert protocol version");
        assertThat(result.output()).doesNotContain("no protocols available");
    }

    @Test
    void proxyHeaderInClearThenTlsNamesTheCaller() throws Exception {
        try (Socket raw = new Socket()) {
            raw.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.5"), 0));
            raw.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 5000);
            raw.setSoTimeout(10_000);
            raw.getOutputStream().write("PROXY TCP4 10.1.0.4 127.0.0.1 51234 443\r\n".getBytes(StandardCharsets.US_ASCII));
            raw.getOutputStream().flush();
            try (SSLSocket tls = (SSLSocket) trustingCa().getSocketFactory().createSocket(raw, "localhost",
                    gateway.port(), true)) {
                final OutputStream out = tls.getOutputStream();
                out.write("GET /proxied HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                final InputStream in = tls.getInputStream();
                final String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                assertThat(response).startsWith("HTTP/1.1 200");
            }
        }
        final Recorded seen = backend.received().get(0);
        assertThat(seen.headers("X-Forwarded-For")).containsExactly("10.1.0.4");
        assertThat(seen.headers("X-Forwarded-Proto")).containsExactly("https");
    }

    @Test
    void rotatedCertificateIsServedToNewConnections() throws Exception {
        assertThat(servedSubject()).isEqualTo("CN=localhost");
        TestCertificates.replace(served, ca.issue("rotated", "rotated.localhost", "DNS:localhost", "IP:127.0.0.1"));
        awaitServedSubject("CN=rotated.localhost");
        // Rotate back: the certificate files are the class's, served again by the next test's gateway.
        TestCertificates.replace(served, ca.issue("original", "localhost", "DNS:localhost", "IP:127.0.0.1"));
        awaitServedSubject("CN=localhost");
    }

    /** Polls new connections until one is served {@code subject}; the watcher reloads within about a second. */
    private void awaitServedSubject(String subject) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String served;
        while (!(served = servedSubject()).equals(subject) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(served).isEqualTo(subject);
    }

    /** The subject of the certificate a new connection is served, by the JDK's TLS client. */
    private String servedSubject() throws Exception {
        try (Socket raw = new Socket()) {
            raw.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.10"), 0));
            raw.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 5000);
            raw.setSoTimeout(10_000);
            try (SSLSocket tls = (SSLSocket) trustingCa().getSocketFactory().createSocket(raw, "localhost",
                    gateway.port(), true)) {
                tls.startHandshake();
                return ((X509Certificate) tls.getSession().getPeerCertificates()[0]).getSubjectX500Principal()
                        .getName();
            }
        }
    }

    private static SSLContext trustingCa() throws Exception {
        final KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(ca.caCertificate()))) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
