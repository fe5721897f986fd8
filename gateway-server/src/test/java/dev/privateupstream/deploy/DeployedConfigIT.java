package dev.privateupstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.cli.GatewayCommand;
import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.EtcdCluster;
import dev.privateupstream.testing.FreePorts;
import dev.privateupstream.testing.GatewayProcess;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestCertificates;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The jar runs each overlay's own {@code gateway.yaml} (the ConfigMap's text, as a pod reads it) against a
 * real etcd cluster and forwards a real, signed SignalR call from an approved endpoint. Only what cannot
 * be the same here is changed: the etcd addresses, the backend's URL, the ports (free ones on this
 * machine), the key prefix, the cache file's folder and the folders of admin.tls' files (made with openssl);
 * the Secrets' values come from the environment as in the pod. With admin.tls the admin API is called over
 * HTTPS with an operator's client certificate.
 */
class DeployedConfigIT {
    @RegisterExtension
    static final EtcdCluster etcd = EtcdCluster.members(1);

    private static final String TOKEN = "deployed-admin-token";
    private static final String KEY = "deployed-access-key";

    @TempDir
    Path dir;
    /** With admin.tls: the CA of the admin certificate, and an operator's client certificate. */
    private TestCertificates tls;
    private TestCertificates.Issued operator;

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "sidecar", "admin-tls"})
    void theJarServesTheConfigMapsGatewayYaml(String overlay) throws Exception {
        try (RecordingBackend backend = RecordingBackend.start()) {
            final int proxyPort = FreePorts.next();
            final int adminPort = FreePorts.next();
            final String original = Manifests.gatewayYaml(overlay);
            final String yaml = withTestCertificates(original)
                    .replaceFirst("(?m)^(\\s+)endpoints: \\[.*]$", "$1endpoints: " + Matcher.quoteReplacement(
                            etcd.endpointsYamlList()))
                    .replaceFirst("(?m)^(\\s+)prefix: .*$", "$1prefix: " + etcd.uniquePrefix())
                    .replaceFirst("(?m)^(\\s+)url: .*$", "$1url: " + backend.url())
                    .replaceFirst("(?m)^(\\s+)cacheFile: .*$", "$1cacheFile: " + dir.resolve("cache.yaml"))
                    .replaceFirst("(?m)^(listen:\\n(?:.*\\n)*?\\s+port: )\\d+", "$1" + proxyPort)
                    .replaceFirst("(?m)^(admin:\\n(?:.*\\n)*?\\s+port: )\\d+", "$1" + adminPort);
            assertThat(yaml).contains("port: " + proxyPort, "port: " + adminPort, backend.url());
            final Path config = dir.resolve("gateway.yaml");
            Files.writeString(config, yaml);

            try (GatewayProcess gateway = GatewayProcess.start(config, dir.resolve("logs"), overlay, Map.of(
                    "GATEWAY_ADMIN_TOKEN", TOKEN, "SIGNALR_KEY_PRIMARY", KEY, "HOSTNAME", overlay + "-0"))) {
                assertThat(gateway.proxyPort()).isEqualTo(proxyPort);
                final AdminClient admin = tls == null ? new AdminClient(adminPort, TOKEN)
                        : AdminClient.https(adminPort, TOKEN, TestCertificates.clientContext(tls.caCertificate(),
                                operator));
                if (tls != null) {
                    assertThat(AdminClient.https(adminPort, TOKEN, TestCertificates.clientContext(
                            tls.caCertificate(), null)).get("/api/replicas").json().path("reason").asText())
                            .isEqualTo("client-certificate-required");
                }
                assertThat(admin.get("/readyz").status()).isEqualTo(200);
                final String body = "{\"properties\":{\"groupId\":\"sites\",\"privateLinkResourceId\":\""
                        + value(yaml, "resourceId") + "\",\"privateIps\":[\"127.0.0.10\"]}}";
                assertThat(admin.put("/api/shared-private-endpoints/spe", body).status()).isEqualTo(201);
                assertThat(admin.post("/api/shared-private-endpoints/spe/approve", "").status()).isEqualTo(200);
                assertThat(admin.get("/api/replicas").json().path("value").get(0).path("id").asText())
                        .isEqualTo(overlay + "-0");

                final String host = hostOf(yaml);
                final String url = "http://127.0.0.1:" + proxyPort + "/runtime/webhooks/signalr?code=x";
                assertThat(send(url, "127.0.0.10", host)).isEqualTo(0);
                assertThat(backend.received()).hasSize(1);
                assertThat(backend.received().get(0).header("X-Forwarded-For")).isEqualTo("127.0.0.10");
                // Loopback is the public network for the gateway: refused, never forwarded.
                assertThat(send(url, "127.0.0.11", host)).isEqualTo(1);
                assertThat(backend.received()).hasSize(1);
            }
        }
    }

    /**
     * {@code yaml} with admin.tls' files (when it has that section) made here: the admin certificate for
     * 127.0.0.1 by a CA of this test ({@link #tls}), and as the client CA the CA of {@link #operator}.
     */
    private String withTestCertificates(String yaml) throws Exception {
        final Matcher certificate = Pattern.compile("(?m)^\\s+certificate: (/\\S+)$").matcher(yaml);
        if (!yaml.contains("\n  tls:\n") || !certificate.find()) {
            return yaml;
        }
        tls = TestCertificates.create(dir, "admin-ca");
        final TestCertificates.Issued served = tls.issue("admin", "gateway-admin", "DNS:gateway-admin",
                "IP:127.0.0.1");
        final TestCertificates operators = TestCertificates.create(dir, "operators");
        operator = operators.issueFor("clientAuth", "operator", "operator");
        return yaml.replaceFirst("(?m)^(\\s+certificate: ).*$", "$1" + served.certificate())
                .replaceFirst("(?m)^(\\s+privateKey: ).*$", "$1" + served.privateKey())
                .replaceFirst("(?m)^(\\s+clientCa: ).*$", "$1" + operators.caCertificate());
    }

    /** {@code send}: a signed connected event from {@code source}; its exit status. */
    private static int send(String url, String source, String host) {
        final CommandLine cli = GatewayCommand.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(new StringWriter()));
        return host == null ? cli.execute("send", "--url", url, "--source", source, "--key", KEY)
                : cli.execute("send", "--url", url, "--source", source, "--key", KEY, "--host", host);
    }

    /** The first upstream's first Host, or {@code null} when it takes any. */
    private static String hostOf(String yaml) {
        final Matcher m = Pattern.compile("(?m)^\\s+hosts: \\[\\s*([^],\\s]+)").matcher(yaml);
        return m.find() ? m.group(1) : null;
    }

    private static String value(String yaml, String key) {
        final Matcher m = Pattern.compile("(?m)^\\s+" + key + ": (\\S+)").matcher(yaml);
        if (!m.find()) {
            throw new AssertionError(key + " not found in the overlay's gateway.yaml");
        }
        return m.group(1);
    }

}
