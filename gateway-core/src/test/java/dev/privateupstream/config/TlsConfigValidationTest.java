package dev.privateupstream.config;

import static dev.privateupstream.config.ConfigFiles.RESOURCE_ID;
import static dev.privateupstream.config.TestPem.selfSigned;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Validation of the TLS files ({@code listen.tls}, {@code upstreams[].caFile}): what the server will load
 * is checked when the configuration is, so a bad file stops {@code validate} and {@code run} with its
 * location instead of failing later.
 */
class TlsConfigValidationTest {
    @TempDir
    Path folder;

    private ConfigFiles files;

    @BeforeEach
    void setUp() throws Exception {
        files = new ConfigFiles(folder).endpoints("[]\n");
        selfSigned(folder.resolve("tls.crt"), folder.resolve("tls.key"), "gateway.example");
        selfSigned(folder.resolve("other.crt"), folder.resolve("other.key"), "other.example");
    }

    private static String gateway(String tls, String upstreamExtra, String scheme) {
        return "listen:\n  port: 0\n" + tls + "upstreams:\n  - name: a\n    resourceId: " + RESOURCE_ID + "\n"
                + "    url: " + scheme + "://backend.example\n" + upstreamExtra
                + "sharedPrivateEndpoints:\n  file: endpoints.yaml\n";
    }

    @Test
    void acceptsAMatchingPairAndACaFileForHttps() throws Exception {
        final GatewayConfig config = files.gateway(gateway(
                "  tls:\n    certificate: tls.crt\n    privateKey: tls.key\n", "    caFile: other.crt\n", "https"))
                .load();
        assertThat(config.listen().tls()).isEqualTo(new TlsConfig(folder.resolve("tls.crt").toAbsolutePath()
                .normalize(), folder.resolve("tls.key").toAbsolutePath().normalize()));
        assertThat(config.upstreams().get(0).caFile()).isEqualTo(folder.resolve("other.crt").toAbsolutePath()
                .normalize());
    }

    @Test
    void upstreamWithoutCaFileTrustsTheSystemStore() throws Exception {
        assertThat(files.gateway(gateway("", "", "https")).load().upstreams().get(0).caFile()).isNull();
    }

    @Test
    void reportsAKeyOfAnotherCertificateAtThePrivateKey() {
        final ConfigException e = files.gateway(gateway(
                "  tls:\n    certificate: tls.crt\n    privateKey: other.key\n", "", "http")).loadFails();
        assertThat(e.errors()).singleElement().satisfies(error -> {
            assertThat(error.line()).isEqualTo(5);
            assertThat(error.keyPath()).isEqualTo("listen.tls.privateKey");
            assertThat(error.message()).contains("does not belong to the certificate CN=gateway.example");
        });
    }

    @Test
    void reportsFilesThatAreNotWhatTheirKeySays() throws Exception {
        Files.writeString(folder.resolve("junk.pem"), "not a certificate\n");
        final ConfigException e = files.gateway(gateway(
                "  tls:\n    certificate: tls.key\n    privateKey: tls.crt\n", "    caFile: junk.pem\n", "https"))
                .loadFails();
        assertThat(e.errors()).extracting(ConfigError::keyPath)
                .containsExactly("listen.tls.certificate", "listen.tls.privateKey", "upstreams[0].caFile");
        assertThat(e.errors().get(0).message()).contains("no certificate");
        assertThat(e.errors().get(1).message()).contains("no private key");
        assertThat(e.errors().get(2).message()).contains("no certificate");
    }

    @Test
    void reportsACaFileOnAnHttpUpstream() {
        final ConfigException e = files.gateway(gateway("", "    caFile: other.crt\n", "http")).loadFails();
        assertThat(e.errors()).singleElement().satisfies(error -> {
            assertThat(error.keyPath()).isEqualTo("upstreams[0].caFile");
            assertThat(error.message()).contains("http upstream");
        });
    }
}
