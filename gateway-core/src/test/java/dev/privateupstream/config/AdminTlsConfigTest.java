package dev.privateupstream.config;

import static dev.privateupstream.config.ConfigFiles.MINIMAL;
import static dev.privateupstream.config.ConfigFiles.assertError;
import static dev.privateupstream.config.TestPem.selfSigned;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code admin.tls} (SPEC §12): the admin port's certificate, key and optional client CA, read with the checks
 * of {@code listen.tls} (relative paths, readable PEM, a key that belongs to the certificate), each problem at
 * its key.
 */
class AdminTlsConfigTest {
    @TempDir
    Path folder;
    private ConfigFiles files;

    @BeforeEach
    void setUp() throws Exception {
        files = new ConfigFiles(folder).endpoints("[]\n");
        selfSigned(folder.resolve("admin.crt"), folder.resolve("admin.key"), "admin.example");
        selfSigned(folder.resolve("operators-ca.crt"), folder.resolve("operators-ca.key"), "operators");
    }

    private Path file(String name) {
        return folder.resolve(name).toAbsolutePath().normalize();
    }

    private static String admin(String tls) {
        return "admin:\n  token: t\n  tls:\n" + tls + MINIMAL;
    }

    @Test
    void readsCertificateKeyAndClientCaRelativeToGatewayYaml() throws Exception {
        final GatewayConfig config = files.gateway(admin("""
                    certificate: admin.crt
                    privateKey: admin.key
                    clientCa: operators-ca.crt
                """)).load();

        assertThat(config.admin().tls()).isEqualTo(new TlsConfig(file("admin.crt"), file("admin.key"),
                file("operators-ca.crt")));
        assertThat(config.listen().tls()).as("listen.tls is another matter").isNull();
    }

    @Test
    void clientCaIsOptionalAndAdminTlsToo() throws Exception {
        assertThat(files.gateway(admin("    certificate: admin.crt\n    privateKey: " + file("admin.key") + "\n"))
                .load().admin().tls()).isEqualTo(new TlsConfig(file("admin.crt"), file("admin.key")));
        assertThat(files.gateway("admin:\n  token: t\n" + MINIMAL).load().admin().tls()).isNull();
    }

    @Test
    void reportsAMissingPrivateKeyAndAMissingFile() {
        final ConfigException e = files.gateway(admin("""
                    certificate: admin.crt
                    clientCa: nowhere/ca.crt
                """)).loadFails();

        assertError(e, files.gateway, 3, "admin.tls.privateKey", "missing (expected: the path of a PEM private key)");
        assertError(e, files.gateway, 5, "admin.tls.clientCa", "cannot read " + file("nowhere/ca.crt")
                + ": no such file");
        assertThat(e.errors()).hasSize(2);
    }

    @Test
    void reportsAKeyOfAnotherCertificateAtThePrivateKey() {
        final ConfigException e = files.gateway(admin("""
                    certificate: admin.crt
                    privateKey: operators-ca.key
                """)).loadFails();

        assertError(e, files.gateway, 5, "admin.tls.privateKey", "does not belong to the certificate CN=admin.example");
        assertThat(e.errors()).hasSize(1);
    }

    @Test
    void reportsFilesThatAreNotWhatTheirKeySays() throws Exception {
        Files.writeString(folder.resolve("junk.pem"), "-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n");
        final ConfigException e = files.gateway(admin("""
                    certificate: admin.key
                    privateKey: admin.crt
                    clientCa: junk.pem
                """)).loadFails();

        assertError(e, files.gateway, 4, "admin.tls.certificate", "no certificate");
        assertError(e, files.gateway, 5, "admin.tls.privateKey", "no private key");
        assertError(e, files.gateway, 6, "admin.tls.clientCa", "certificate 1 cannot be read");
        assertThat(e.errors()).hasSize(3);
    }

    @Test
    void reportsUnknownKeysAndClientCaUnderListenTls() {
        final ConfigException e = files.gateway("""
                listen:
                  tls:
                    certificate: admin.crt
                    privateKey: admin.key
                    clientCa: operators-ca.crt
                admin:
                  tls:
                    certificate: admin.crt
                    privateKey: admin.key
                    clientCA: operators-ca.crt
                """ + MINIMAL).loadFails();

        assertError(e, files.gateway, 5, "listen.tls.clientCa", "unknown key (expected one of: certificate, "
                + "privateKey)");
        assertError(e, files.gateway, 10, "admin.tls.clientCA", "unknown key (expected one of: certificate, "
                + "privateKey, clientCa); did you mean 'clientCa'?");
        assertThat(e.errors()).hasSize(2);
    }

    @Test
    void reportsATlsThatIsNotAMapping() {
        final ConfigException e = files.gateway("admin:\n  tls: admin.crt\n" + MINIMAL).loadFails();

        assertError(e, files.gateway, 2, "admin.tls", "expected a mapping with the keys certificate, privateKey, "
                + "clientCa");
    }

    @Test
    void keepsTheTokenOutOfItsTextButNotTheFiles() throws Exception {
        final AdminConfig admin = files.gateway(admin("    certificate: admin.crt\n    privateKey: admin.key\n"))
                .load().admin();

        assertThat(admin.toString()).doesNotContain("token=t").contains("admin.crt");
    }
}
