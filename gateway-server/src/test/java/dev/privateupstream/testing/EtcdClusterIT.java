package dev.privateupstream.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link EtcdCluster} does what tests rely on: its members form one cluster, killed members are really gone,
 * two killed members of three stop writes, and restarted members bring them back. Talks to etcd over plain
 * HTTP, not through the client under test.
 */
class EtcdClusterIT {
    @RegisterExtension
    static final EtcdCluster etcd = EtcdCluster.members(3);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();

    @AfterEach
    void heal() {
        etcd.restartAll();
    }

    @Test
    void membersFormOneClusterOnLoopback() throws Exception {
        assertThat(etcd.clientEndpoints()).hasSize(3).allSatisfy(uri -> assertThat(uri.getHost()).isEqualTo("127.0.0.1"));
        assertThat(etcd.endpointsYamlList()).startsWith("[ \"http://127.0.0.1:").endsWith("\" ]");
        final String key = etcd.uniquePrefix() + "k";
        assertThat(put(0, key, "v", Duration.ofSeconds(5))).isEqualTo(200);
        // Written through member 0, read linearizably from member 2.
        assertThat(post(2, "/v3/kv/range", "{\"key\":\"" + base64(key) + "\"}", Duration.ofSeconds(5)).body())
                .contains(base64("v"));
        assertThat(etcd.etcdctl("member", "list")).contains("m0", "m1", "m2");
    }

    @Test
    void losingTwoOfThreeStopsWritesAndRestartsBringThemBack() throws Exception {
        final long pid1 = etcd.pid(1);
        etcd.kill(1);
        etcd.kill(2);
        assertThat(etcd.running(1)).isFalse();
        assertThat(etcd.running(2)).isFalse();
        assertThat(Files.exists(Path.of("/proc", Long.toString(pid1)))).as("killed member reaped").isFalse();

        // etcd itself gives up on a write without quorum after 7 s; the client gives up sooner.
        assertThatThrownBy(() -> put(0, etcd.uniquePrefix() + "lost", "v", Duration.ofSeconds(2)))
                .isInstanceOf(HttpTimeoutException.class);

        etcd.restart(1);
        assertThat(etcd.running(1)).isTrue();
        assertThat(etcd.pid(1)).isNotEqualTo(pid1);
        assertThat(put(0, etcd.uniquePrefix() + "back", "v", Duration.ofSeconds(5))).isEqualTo(200);
        etcd.restart(2);
        etcd.awaitHealthy();
    }

    @Test
    void aStoppedMemberLeavesTheOthersServingAndCompactionReturnsTheRevision() throws Exception {
        etcd.stop(0);
        assertThat(etcd.running(0)).isFalse();
        assertThat(put(1, etcd.uniquePrefix() + "k", "v", Duration.ofSeconds(5))).isEqualTo(200);
        final long revision = etcd.compact();
        assertThat(revision).isPositive();
        // Reading below the compacted revision is refused.
        assertThat(post(1, "/v3/kv/range", "{\"key\":\"AA==\",\"revision\":\"" + (revision - 1) + "\"}",
                Duration.ofSeconds(5)).body()).contains("compacted");
    }

    private int put(int member, String key, String value, Duration timeout) throws IOException, InterruptedException {
        return post(member, "/v3/kv/put", "{\"key\":\"" + base64(key) + "\",\"value\":\"" + base64(value) + "\"}",
                timeout).statusCode();
    }

    private HttpResponse<String> post(int member, String path, String body, Duration timeout)
            throws IOException, InterruptedException {
        final URI uri = etcd.clientEndpoint(member).resolve(path);
        return http.send(HttpRequest.newBuilder(uri).timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
