package dev.privateupstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.TestCertificates;
import dev.privateupstream.testing.TestCertificates.Issued;
import dev.privateupstream.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code validate} says of the admin server (SPEC §12): its tokens' names and roles, never a secret,
 * and whether it speaks TLS and asks for client certificates.
 */
class ValidateCommandTest {
    private final CapturedCommandLine cli = new CapturedCommandLine();

    @TempDir
    Path dir;

    private String validate(String adminSection) throws Exception {
        final Path config = dir.resolve("gateway.yaml");
        Files.writeString(config, TestGateway.gatewayYaml(TestGateway.upstream("func-a", TestGateway.RESOURCE,
                "http://127.0.0.1:9", ""), adminSection));
        Files.writeString(dir.resolve("endpoints.yaml"), "[]\n");
        assertThat(cli.run("validate", "--config", config.toString())).as(cli.err.toString()).isZero();
        return cli.out.toString();
    }

    @Test
    void listsEveryTokenByNameAndRole() throws Exception {
        assertThat(validate(TestGateway.ADMIN_WITH_ROLES))
                .contains("(tokens admin approver, alice approver, grafana reader, tls off)")
                .doesNotContain(TestGateway.ADMIN_TOKEN, TestGateway.APPROVER_TOKEN, TestGateway.READER_TOKEN);
    }

    @Test
    void saysWhenNoTokenIsSet() throws Exception {
        assertThat(validate("admin:\n  port: 0\n")).contains("(token not set: /api/* refuses every call, tls off)");
        cli.clear();
        assertThat(validate("")).contains("(token set, tls off)");
    }

    @Test
    void saysWhetherTheAdminPortSpeaksTlsAndAsksForClientCertificates() throws Exception {
        final TestCertificates ca = TestCertificates.create(dir, "admin-ca");
        final Issued served = ca.issue("admin", "localhost", "DNS:localhost");
        final String tls = "admin:\n  port: 0\n  token: t\n  tls:\n    certificate: " + served.certificate()
                + "\n    privateKey: " + served.privateKey() + "\n";
        assertThat(validate(tls)).contains("(token set, tls on)");
        cli.clear();
        assertThat(validate(tls + "    clientCa: " + ca.caCertificate() + "\n"))
                .contains("(token set, tls on, /api/* needs a client certificate)");
    }
}
