package dev.privateupstream.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.EtcdCluster;
import dev.privateupstream.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The etcd store through the gateway's own configuration, against real clusters that require a user and
 * password, or TLS with client certificates (SPEC §10 {@code username}, {@code password}, {@code tls}).
 */
class EtcdSecuredStoreIT {
    @RegisterExtension
    static final EtcdCluster withAuth = EtcdCluster.members(1);

    @RegisterExtension
    static final EtcdCluster withTls = EtcdCluster.members(1).withTls();

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();

    @TempDir
    Path dir;

    @BeforeAll
    static void enableAuth() {
        withAuth.etcdctl("user", "add", "root:secret");
        withAuth.etcdctl("auth", "enable");
    }

    @Test
    void aGatewayWithTheUsersPasswordReadsAndWrites() throws Exception {
        try (TestGateway gateway = start("auth", withAuth, "    username: root\n    password: secret\n")) {
            approveAndCall(gateway);
        }
    }

    @Test
    void aWrongPasswordStopsTheStartWithTheReason() {
        assertThatThrownBy(() -> start("wrong", withAuth, "    username: root\n    password: nope\n"))
                .hasMessageContaining("refused").hasMessageContaining("authentication failed")
                .hasMessageContaining("sharedPrivateEndpoints.etcd");
    }

    @Test
    void aGatewayWithAClientCertificateReadsAndWrites() throws Exception {
        final String tls = "    tls:\n      caFile: " + withTls.caCertificate() + "\n      certificate: "
                + withTls.clientCertificate().certificate() + "\n      privateKey: "
                + withTls.clientCertificate().privateKey() + "\n";
        try (TestGateway gateway = start("tls", withTls, tls)) {
            approveAndCall(gateway);
        }
    }

    private TestGateway start(String name, EtcdCluster cluster, String extra) throws Exception {
        final Path folder = Files.createDirectories(dir.resolve(name));
        return TestGateway.start(folder, TestGateway.gatewayYamlWithStore(
                TestGateway.upstream("func-a", TestGateway.RESOURCE, backend.url(), ""), "",
                "  etcd:\n    endpoints: " + cluster.endpointsYamlList() + "\n    prefix: " + cluster.uniquePrefix()
                        + "\n    timeout: 2s\n" + extra), null);
    }

    private static void approveAndCall(TestGateway gateway) throws Exception {
        final AdminClient admin = new AdminClient(gateway.adminPort());
        assertThat(admin.put(EtcdReplicasIT.PATH + "spe", EtcdReplicasIT.body("127.0.0.10")).status()).isEqualTo(201);
        assertThat(EtcdReplicasIT.reason(gateway, "127.0.0.10")).isEqualTo("endpoint-pending");
        assertThat(admin.post(EtcdReplicasIT.PATH + "spe/approve", "").status()).isEqualTo(200);
        assertThat(EtcdReplicasIT.status(gateway, "127.0.0.10")).isEqualTo(200);
    }
}
