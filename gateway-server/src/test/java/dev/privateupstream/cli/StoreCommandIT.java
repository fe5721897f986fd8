package dev.privateupstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.store.AuditRecord;
import dev.privateupstream.store.EndpointStore;
import dev.privateupstream.testing.EtcdCluster;
import dev.privateupstream.testing.TestGateway;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code store import}, {@code store export}, {@code validate} and {@code explain} with the endpoints in a
 * real etcd cluster (SPEC §10 commands): a file goes in whole or not at all, comes back out as the same
 * endpoints, and the other commands read the set once.
 */
class StoreCommandIT {
    @RegisterExtension
    static final EtcdCluster etcd = EtcdCluster.members(1);

    @TempDir
    Path dir;

    private Path config;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void writeConfig() throws Exception {
        config = dir.resolve("gateway.yaml");
        Files.writeString(config, TestGateway.gatewayYamlWithStore(
                TestGateway.upstream("func-a", TestGateway.RESOURCE, "http://127.0.0.1:9", ""), "",
                "  etcd:\n    endpoints: " + etcd.endpointsYamlList() + "\n    prefix: " + etcd.uniquePrefix()
                        + "\n    timeout: 1s\n"));
    }

    @Test
    void importReplacesTheWholeSetAndExportGivesItBack() throws Exception {
        final Path first = file("first.yaml", TestGateway.endpoint("a", TestGateway.RESOURCE, "Approved", "10.0.0.1")
                + TestGateway.endpoint("b", TestGateway.RESOURCE, "Pending", "10.0.0.2"));
        assertThat(run("store", "import", "--config", config.toString(), "--file", first.toString())).isEqualTo(0);
        assertThat(out.toString()).contains("imported 2 endpoints from " + first);

        // A second import replaces the set: b is gone, c is new.
        final Path second = file("second.yaml", TestGateway.endpoint("a", TestGateway.RESOURCE, "Rejected",
                "10.0.0.1") + TestGateway.endpoint("c", TestGateway.RESOURCE, "Approved", "10.0.0.3"));
        assertThat(run("store", "import", "--config", config.toString(), "--file", second.toString())).isEqualTo(0);

        assertThat(run("store", "export", "--config", config.toString())).isEqualTo(0);
        final Path exported = file("exported.yaml", out.toString());
        final String text = Files.readString(exported);
        assertThat(text).contains("- name: a", "status: Rejected", "- name: c").doesNotContain("name: b");
        // What export prints is an endpoints file that imports again.
        assertThat(run("store", "import", "--config", config.toString(), "--file", exported.toString())).isEqualTo(0);

        assertThat(run("validate", "--config", config.toString())).isEqualTo(0);
        assertThat(out.toString()).contains("endpoints  2 in etcd ");
        assertThat(run("explain", "--config", config.toString(), "--source", "10.0.0.3")).isEqualTo(0);
        assertThat(out.toString()).contains("decision   allow", "endpoint   c (Approved");
        assertThat(run("explain", "--config", config.toString(), "--source", "10.0.0.1")).isEqualTo(1);
        assertThat(out.toString()).contains("reason     endpoint-rejected");
    }

    @Test
    void anImportIsAuditedInTheStorePerEndpointItWroteOrRemoved() throws Exception {
        final Path first = file("first.yaml", TestGateway.endpoint("a", TestGateway.RESOURCE, "Approved", "10.0.0.1")
                + TestGateway.endpoint("b", TestGateway.RESOURCE, "Pending", "10.0.0.2"));
        assertThat(run("store", "import", "--config", config.toString(), "--file", first.toString())).isEqualTo(0);
        final Path second = file("second.yaml", TestGateway.endpoint("a", TestGateway.RESOURCE, "Rejected",
                "10.0.0.1"));
        assertThat(run("store", "import", "--config", config.toString(), "--file", second.toString())).isEqualTo(0);

        final ConfigLoader loader = new ConfigLoader(Map.of());
        final GatewayConfig loaded = loader.load(config);
        try (EndpointStore store = EndpointStore.open(loaded, loader)) {
            assertThat(describe(store.audit("a").get(5, TimeUnit.SECONDS)))
                    .containsExactly("import Approved->Rejected", "import null->Approved");
            assertThat(describe(store.audit("b").get(5, TimeUnit.SECONDS)))
                    .containsExactly("import Pending->null", "import null->Pending");
            assertThat(store.audit("a").get(5, TimeUnit.SECONDS)).allSatisfy(record -> {
                assertThat(record.actor()).isEqualTo(System.getProperty("user.name"));
                assertThat(record.replica()).isEqualTo(loaded.etcd().replicaId());
            });
        }
    }

    private static List<String> describe(List<AuditRecord> records) {
        return records.stream().map(r -> r.action().wireName() + " " + r.statusBefore() + "->" + r.statusAfter())
                .toList();
    }

    @Test
    void anInvalidFileImportsNothingAndNamesEveryError() throws Exception {
        final Path good = file("good.yaml", TestGateway.endpoint("a", TestGateway.RESOURCE, "Approved", "10.0.0.1"));
        assertThat(run("store", "import", "--config", config.toString(), "--file", good.toString())).isEqualTo(0);

        final Path bad = file("bad.yaml", TestGateway.endpoint("x", TestGateway.RESOURCE, "Approved", "10.0.0.9")
                + TestGateway.endpoint("y", TestGateway.RESOURCE, "Approved", "10.0.0.9")
                + TestGateway.endpoint("z", "/subscriptions/none", "Approved", "10.0.0.8"));
        assertThat(run("store", "import", "--config", config.toString(), "--file", bad.toString())).isEqualTo(2);
        assertThat(err.toString()).contains(bad + ":", "10.0.0.9/32 is declared by both 'x'",
                "points at no upstream's resourceId", "2 errors in " + bad + " (nothing imported)");

        assertThat(run("store", "export", "--config", config.toString())).isEqualTo(0);
        assertThat(out.toString()).contains("- name: a").doesNotContain("name: x");
    }

    @Test
    void withTheClusterDownTheCommandsSaySoAndExit2() throws Exception {
        etcd.killAll();
        try {
            assertThat(run("store", "export", "--config", config.toString())).isEqualTo(2);
            assertThat(err.toString()).contains("check sharedPrivateEndpoints.etcd.endpoints in " + config);
            assertThat(run("validate", "--config", config.toString())).isEqualTo(2);
        } finally {
            etcd.restartAll();
        }
    }

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        final CommandLine cli = GatewayCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private Path file(String name, String text) throws Exception {
        final Path file = dir.resolve(name);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }
}
