package dev.privateupstream.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.Await;
import dev.privateupstream.testing.ExternalProcess;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.PrometheusText;
import dev.privateupstream.testing.TestCertificates;
import dev.privateupstream.testing.TestCertificates.Issued;
import dev.privateupstream.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gateway_tls_certificate_expiry_timestamp_seconds{certificate}} on {@code /metrics}: the proxy
 * listener's chain ({@code listen}) and an {@code https} upstream's CA file ({@code upstream:NAME}) expire
 * when {@code openssl x509 -enddate} says their files do, move when the files are rotated, and go when a
 * reload stops using them. Certificates are made at test time with openssl; each test compares with the
 * files as they are then, so the tests may run in any order.
 */
class CertificateExpiryIT {
    private static final String EXPIRY = "gateway_tls_certificate_expiry_timestamp_seconds";
    private static final Map<String, String> LISTEN = Map.of("certificate", "listen");
    private static final Map<String, String> FUNC_A_TRUST = Map.of("certificate", "upstream:func-a");

    @TempDir
    static Path dir;

    private static TestCertificates ca;
    private static Issued served;
    private static Path caFile;

    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(
            () -> TestGateway.gatewayYaml(listenTls(), upstreams(true), ""), () -> TestGateway.STANDARD_ENDPOINTS);

    @BeforeAll
    static void makeCertificates() throws Exception {
        ca = TestCertificates.create(dir, "gateway-ca");
        served = ca.issue("gateway", "localhost", "DNS:localhost", "IP:127.0.0.1");
        caFile = dir.resolve("backend-trust.pem");
        Files.copy(TestCertificates.create(dir, "backend-ca").caCertificate(), caFile);
    }

    private static String listenTls() {
        return "  tls:\n    certificate: " + served.certificate() + "\n    privateKey: " + served.privateKey() + "\n";
    }

    /** {@code func-a} over https (trusting {@link #caFile} when {@code withCaFile}), {@code func-b} plain. */
    private static String upstreams(boolean withCaFile) {
        // No backend listens: the trust roots load when the configuration names them, not at the first call.
        return TestGateway.upstream("func-a", TestGateway.RESOURCE, "https://localhost:1",
                withCaFile ? "    caFile: " + caFile + "\n" : "")
                + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, "http://127.0.0.1:1",
                        "    hosts: [ func-b.example ]\n");
    }

    private PrometheusText scrape() throws Exception {
        return PrometheusText.parse(gateway.admin().withToken(null).get("/metrics").body());
    }

    /** When openssl, not the gateway's code, says the first certificate of {@code pem} expires, unix seconds. */
    private static double opensslEndDate(Path pem) throws Exception {
        final String output = ExternalProcess.check(dir, "openssl", "x509", "-noout", "-enddate", "-dateopt",
                "iso_8601", "-in", pem.toString()).strip();
        // notAfter=2026-12-09 19:28:29Z
        return Instant.parse(output.substring("notAfter=".length()).replace(' ', 'T')).getEpochSecond();
    }

    @Test
    void listenerChainAndUpstreamTrustRootsExpireWhenOpensslSays() throws Exception {
        final PrometheusText text = scrape();

        assertThat(text.type(EXPIRY)).isEqualTo("gauge");
        assertThat(text.value(EXPIRY, LISTEN)).isEqualTo(opensslEndDate(served.certificate()));
        assertThat(text.value(EXPIRY, FUNC_A_TRUST)).isEqualTo(opensslEndDate(caFile));
        // func-b is plain http: it trusts nothing, so it has no series.
        assertThat(text.samples(EXPIRY)).extracting(s -> s.labels().get("certificate"))
                .containsExactlyInAnyOrder("listen", "upstream:func-a");
    }

    @Test
    void rotatedFilesMoveTheExpiry() throws Exception {
        final double listenBefore = scrape().value(EXPIRY, LISTEN);
        final double trustBefore = scrape().value(EXPIRY, FUNC_A_TRUST);

        // Valid longer than the files they replace, so the new expiry is days later, not a second or two.
        TestCertificates.replace(served, ca.issueValidFor(5, "rotated", "localhost", "DNS:localhost"));
        final Path newCa = TestCertificates.create(dir, "backend-ca-rotated", 7).caCertificate();
        final Path temporary = dir.resolve("backend-trust.pem.new");
        Files.copy(newCa, temporary, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temporary, caFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        final double listenAfter = opensslEndDate(served.certificate());
        final double trustAfter = opensslEndDate(caFile);
        assertThat(listenAfter).isGreaterThan(listenBefore);
        assertThat(trustAfter).isGreaterThan(trustBefore);
        Await.until("the gauges to follow the rotated files", Duration.ofSeconds(10), () -> {
            final PrometheusText text = scrapeQuietly();
            return Double.valueOf(listenAfter).equals(text.value(EXPIRY, LISTEN))
                    && Double.valueOf(trustAfter).equals(text.value(EXPIRY, FUNC_A_TRUST));
        });
    }

    @Test
    void reloadThatStopsUsingTheFilesDropsTheirSeries() throws Exception {
        assertThat(scrape().samples(EXPIRY)).hasSize(2);

        Files.writeString(gateway.dir().resolve("gateway.yaml"), TestGateway.gatewayYaml(upstreams(false), ""));

        Await.until("the reload to drop both series", Duration.ofSeconds(10),
                () -> scrapeQuietly().samples(EXPIRY).isEmpty());
        assertThat(gateway.server().metrics().reloads(true)).isEqualTo(1);
    }

    private PrometheusText scrapeQuietly() {
        try {
            return scrape();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
