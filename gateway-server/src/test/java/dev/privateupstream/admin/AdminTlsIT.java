package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateupstream.config.PemFiles;
import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.AdminClient.Answer;
import dev.privateupstream.testing.Await;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.ExternalProcess;
import dev.privateupstream.testing.ExternalProcess.Result;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.PrometheusText;
import dev.privateupstream.testing.TestCertificates;
import dev.privateupstream.testing.TestCertificates.Issued;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §12 {@code admin.tls} over real sockets and real TLS: the admin port speaks only TLS; probes, scrapes,
 * the page and the API's document need no client certificate; {@code /api/*} needs one signed by
 * {@code clientCa} ({@code 403 client-certificate-required} without, nothing changed) and the token on top;
 * a certificate of another CA fails the handshake; rotated certificate, key and client CA files apply to new
 * handshakes, and the expiry gauge {@code certificate="admin"} follows; a reload turns TLS off and on.
 *
 * <p>Certificates are made once with openssl; each test's gateway serves copies of its own, so a test that
 * rotates them leaves the others alone.
 */
class AdminTlsIT {
    private static final String SPE = "/api/shared-private-endpoints";
    private static final String EXPIRY = "gateway_tls_certificate_expiry_timestamp_seconds";
    private static final Map<String, String> ADMIN_CERTIFICATE = Map.of("certificate", "admin");
    private static final String NEW_ENDPOINT = "{\"properties\":{\"groupId\":\"sites\",\"privateLinkResourceId\":\""
            + TestGateway.RESOURCE + "\",\"privateIps\":[\"127.0.0.70\"]}}";

    @TempDir
    static Path dir;

    private static TestCertificates adminCa;
    private static Issued served;
    private static Issued rotated;
    private static TestCertificates operators;
    private static Issued alice;
    private static TestCertificates strangers;
    private static Issued mallory;
    /** Signed by the operators' CA, but for servers only (extendedKeyUsage serverAuth). */
    private static Issued notForClients;

    /** This test's copies of the files gateway.yaml names. */
    private Issued servedFiles;
    private Path clientCaFile;

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(() -> {
        copyFiles();
        return TestGateway.standardYaml(backend.url(), adminSection(true));
    }, () -> TestGateway.STANDARD_ENDPOINTS);

    @BeforeAll
    static void makeCertificates() throws Exception {
        adminCa = TestCertificates.create(dir, "admin-ca");
        served = adminCa.issue("admin", "localhost", "DNS:localhost", "IP:127.0.0.1");
        // Valid longer than the first, so its expiry is days later, not a second or two.
        rotated = adminCa.issueValidFor(5, "admin-rotated", "rotated.localhost", "DNS:localhost", "IP:127.0.0.1");
        operators = TestCertificates.create(dir, "operators");
        alice = operators.issueFor("clientAuth", "alice", "alice");
        strangers = TestCertificates.create(dir, "strangers");
        mallory = strangers.issueFor("clientAuth", "mallory", "mallory");
        notForClients = operators.issue("server-only", "server-only");
    }

    private void copyFiles() {
        try {
            final Path mine = Files.createTempDirectory(dir, "test-");
            servedFiles = new Issued(mine.resolve("admin.pem"), mine.resolve("admin.key"));
            Files.copy(served.certificate(), servedFiles.certificate());
            Files.copy(served.privateKey(), servedFiles.privateKey());
            clientCaFile = mine.resolve("operators-ca.pem");
            Files.copy(operators.caCertificate(), clientCaFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String adminSection(boolean tls) {
        return "admin:\n  address: 127.0.0.1\n  port: 0\n  token: " + TestGateway.ADMIN_TOKEN + "\n"
                + (tls ? "  tls:\n    certificate: " + servedFiles.certificate() + "\n    privateKey: "
                        + servedFiles.privateKey() + "\n    clientCa: " + clientCaFile + "\n" : "");
    }

    /** Over HTTPS with the admin token, trusting the admin CA, presenting {@code client} ({@code null}: none). */
    private AdminClient https(Issued client) throws IOException {
        return AdminClient.https(gateway.adminPort(), TestGateway.ADMIN_TOKEN,
                TestCertificates.clientContext(adminCa.caCertificate(), client));
    }

    private String endpointsOnDisk() throws IOException {
        return Files.readString(gateway.dir().resolve("endpoints.yaml"));
    }

    private PrometheusText scrape() throws Exception {
        return PrometheusText.parse(https(null).withToken(null).get("/metrics").body());
    }

    private static double expiryOf(Issued issued) {
        return PemFiles.earliestExpiry(PemFiles.certificates(issued.certificate())).getEpochSecond();
    }

    @Test
    void probesScrapesThePageAndTheApiDocumentNeedNoClientCertificate() throws Exception {
        final AdminClient anonymous = https(null).withToken(null);

        assertThat(anonymous.get("/healthz").status()).isEqualTo(200);
        assertThat(anonymous.get("/readyz").status()).isEqualTo(200);
        assertThat(anonymous.get("/").status()).isEqualTo(200);
        assertThat(anonymous.get("/api/openapi.json").json().path("openapi").asText()).isEqualTo("3.1.0");
        final PrometheusText metrics = PrometheusText.parse(anonymous.get("/metrics").body());
        assertThat(metrics.value(EXPIRY, ADMIN_CERTIFICATE)).isEqualTo(expiryOf(served));
        // The proxy port is plain HTTP here: no series for it.
        assertThat(metrics.samples(EXPIRY)).extracting(s -> s.labels().get("certificate")).containsExactly("admin");
    }

    @Test
    void theAdminPortSpeaksOnlyTls() throws Exception {
        assertThatThrownBy(() -> new AdminClient(gateway.adminPort()).get("/healthz")).isInstanceOf(IOException.class);

        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", gateway.adminPort()), 5000);
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            final String answer = new String(readUntilClosed(plain.getInputStream()), StandardCharsets.ISO_8859_1);
            assertThat(answer).as("what the admin port answers plain HTTP").doesNotContain("HTTP/");
        }
    }

    private static byte[] readUntilClosed(InputStream in) throws IOException {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0]; // reset by the server: nothing answered either
        }
    }

    @Test
    void theApiWithoutAClientCertificateIsForbiddenAndChangesNothing() throws Exception {
        final String before = endpointsOnDisk();
        final AdminClient noCertificate = https(null);

        for (Answer answer : new Answer[] {noCertificate.get(SPE), noCertificate.get(SPE + "/pending"),
            noCertificate.get("/api/replicas"), noCertificate.put(SPE + "/new", NEW_ENDPOINT),
            noCertificate.post(SPE + "/pending/approve", ""), noCertificate.delete(SPE + "/approved"),
            noCertificate.get("/api/no-such-path"),
            // Before the token is looked at: none, or a wrong one, gets the same answer.
            noCertificate.withToken(null).get(SPE), noCertificate.withToken("wrong").post(SPE + "/pending/reject", "")}) {
            assertThat(answer.status()).as(answer.raw().request().method() + " " + answer.raw().uri()).isEqualTo(403);
            assertThat(answer.json().path("error").asText()).isEqualTo("Forbidden");
            assertThat(answer.json().path("reason").asText()).isEqualTo("client-certificate-required");
        }

        assertThat(endpointsOnDisk()).isEqualTo(before);
        final AdminClient operator = https(alice);
        assertThat(operator.get(SPE + "/new").status()).isEqualTo(404);
        assertThat(operator.get(SPE + "/pending").json().path("properties").path("status").asText())
                .isEqualTo("Pending");
        assertThat(operator.get(SPE + "/approved").status()).isEqualTo(200);
    }

    @Test
    void aCertificateTheClientCaSignedOpensTheApiAndTheTokenIsStillRequired() throws Exception {
        final SSLContext aliceTls = TestCertificates.clientContext(adminCa.caCertificate(), alice);
        final AdminClient operator = AdminClient.https(gateway.adminPort(), TestGateway.ADMIN_TOKEN, aliceTls);

        assertThat(operator.get(SPE).status()).isEqualTo(200);
        assertThat(operator.put(SPE + "/new", NEW_ENDPOINT).status()).isEqualTo(201);
        assertThat(operator.post(SPE + "/new/approve", "").json().path("properties").path("status").asText())
                .isEqualTo("Approved");
        assertThat(endpointsOnDisk()).contains("name: new");

        final Answer noToken = operator.withToken(null).get(SPE);
        assertThat(noToken.status()).isEqualTo(401);
        assertThat(noToken.json().path("reason").asText()).isNotEqualTo("client-certificate-required");
        assertThat(operator.withToken("wrong").delete(SPE + "/new").status()).isEqualTo(401);
        assertThat(operator.get(SPE + "/new").status()).isEqualTo(200);

        // A new client on the same context resumes its TLS session: the certificate still counts.
        assertThat(AdminClient.https(gateway.adminPort(), TestGateway.ADMIN_TOKEN, aliceTls).get(SPE).status())
                .isEqualTo(200);
    }

    @Test
    void aCertificateOfAnotherCaFailsTheHandshake() throws Exception {
        // Refused at the handshake, whatever the path: a wrong certificate is never taken for none.
        assertThatThrownBy(() -> https(mallory).get(SPE)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> https(mallory).withToken(null).get("/healthz")).isInstanceOf(IOException.class);
        // The right CA, but not made for client authentication: refused the same way.
        assertThatThrownBy(() -> https(notForClients).get(SPE)).isInstanceOf(IOException.class);
        assertThat(https(alice).get(SPE + "/pending").json().path("properties").path("status").asText())
                .isEqualTo("Pending");
    }

    /** What README.md tells operators to run, with curl (OpenSSL), a client we did not write. */
    @Test
    void curlWithTheOperatorsCertificateAsTheReadmeSays() throws Exception {
        final String url = "https://127.0.0.1:" + gateway.adminPort();
        final String withAlice = ExternalProcess.check(dir, "curl", "-sS", "--cacert",
                adminCa.caCertificate().toString(), "--cert", alice.certificate().toString(), "--key",
                alice.privateKey().toString(), "-H", "Authorization: Bearer " + TestGateway.ADMIN_TOKEN,
                "-w", "\n%{http_code}", url + SPE);
        assertThat(withAlice).endsWith("\n200").contains("\"value\"");

        final String withoutCertificate = ExternalProcess.check(dir, "curl", "-sS", "--cacert",
                adminCa.caCertificate().toString(), "-H", "Authorization: Bearer " + TestGateway.ADMIN_TOKEN,
                "-w", "\n%{http_code}", url + SPE);
        assertThat(withoutCertificate).endsWith("\n403").contains("client-certificate-required");
        assertThat(ExternalProcess.check(dir, "curl", "-sS", "--cacert", adminCa.caCertificate().toString(),
                "-w", "\n%{http_code}", url + "/healthz")).endsWith("\n200");

        final Result withMallory = ExternalProcess.run(dir, Duration.ofSeconds(20), "curl", "-sS", "--cacert",
                adminCa.caCertificate().toString(), "--cert", mallory.certificate().toString(), "--key",
                mallory.privateKey().toString(), "-H", "Authorization: Bearer " + TestGateway.ADMIN_TOKEN,
                url + SPE);
        assertThat(withMallory.exitCode()).as(withMallory.output()).isNotZero();
        assertThat(withMallory.output()).doesNotContain("\"value\"");
    }

    @Test
    void rotatedCertificateAndKeyAreServedToNewHandshakesAndTheGaugeFollows() throws Exception {
        assertThat(servedSubject()).isEqualTo("CN=localhost");
        assertThat(scrape().value(EXPIRY, ADMIN_CERTIFICATE)).isEqualTo(expiryOf(served));
        final double rotatedExpiry = expiryOf(rotated);
        assertThat(rotatedExpiry).isGreaterThan(expiryOf(served));

        TestCertificates.replace(servedFiles, rotated);

        Await.until("new handshakes to present the rotated certificate", Duration.ofSeconds(10),
                () -> "CN=rotated.localhost".equals(servedSubjectQuietly()));
        Await.until("the admin certificate's gauge to follow", Duration.ofSeconds(10),
                () -> Double.valueOf(rotatedExpiry).equals(scrapeQuietly().value(EXPIRY, ADMIN_CERTIFICATE)));
        assertThat(https(alice).get(SPE).status()).isEqualTo(200);
    }

    @Test
    void aReplacedClientCaDecidesWhoseCertificatesOpenTheApi() throws Exception {
        final Path temporary = clientCaFile.resolveSibling("operators-ca.pem.new");
        Files.copy(strangers.caCertificate(), temporary);
        Files.move(temporary, clientCaFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        Await.until("the strangers' CA to be trusted by new handshakes", Duration.ofSeconds(10),
                () -> statusPresenting(mallory, SPE) == 200);
        assertThatThrownBy(() -> https(alice).get(SPE)).isInstanceOf(IOException.class);
        assertThat(https(null).get(SPE).json().path("reason").asText()).isEqualTo("client-certificate-required");
    }

    @Test
    void aReloadTurnsTlsOffAndOnForNewConnections() throws Exception {
        final Path config = gateway.dir().resolve("gateway.yaml");
        final String withTls = Files.readString(config);
        Files.writeString(config, TestGateway.standardYaml(backend.url(), adminSection(false)));

        final AdminClient plain = new AdminClient(gateway.adminPort());
        Await.until("the admin port to answer plain HTTP", Duration.ofSeconds(10), () -> status(plain, SPE) == 200);
        assertThat(scrapePlain(plain).samples(EXPIRY)).as("the admin certificate's series").isEmpty();

        Files.writeString(config, withTls);
        Await.until("the admin port to speak TLS again", Duration.ofSeconds(10), () -> statusPresenting(alice, SPE) == 200);
        assertThat(statusPresenting(null, SPE)).isEqualTo(403);
        assertThat(scrape().value(EXPIRY, ADMIN_CERTIFICATE)).isEqualTo(expiryOf(served));
        assertThat(gateway.server().metrics().reloads(true)).isEqualTo(2);
    }

    private static PrometheusText scrapePlain(AdminClient plain) throws Exception {
        return PrometheusText.parse(plain.withToken(null).get("/metrics").body());
    }

    /** The status of a GET over a new HTTPS client presenting {@code client}, or -1 when the call fails. */
    private int statusPresenting(Issued client, String path) {
        try {
            return https(client).get(path).status();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static int status(AdminClient client, String path) {
        try {
            return client.get(path).status();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private PrometheusText scrapeQuietly() {
        try {
            return scrape();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String servedSubjectQuietly() {
        try {
            return servedSubject();
        } catch (IOException e) {
            return "none: " + e;
        }
    }

    /** The subject of the certificate a new connection is served, by the JDK's TLS client. */
    private String servedSubject() throws IOException {
        final SSLContext context = TestCertificates.clientContext(adminCa.caCertificate(), null);
        try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", gateway.adminPort())) {
            tls.setSoTimeout(10_000);
            tls.startHandshake();
            return ((X509Certificate) tls.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }
}
