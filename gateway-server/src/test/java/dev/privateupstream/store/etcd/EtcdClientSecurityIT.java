package dev.privateupstream.store.etcd;

import static dev.privateupstream.store.etcd.EtcdClientIT.awaitTrue;
import static dev.privateupstream.store.etcd.EtcdClientTest.bytes;
import static dev.privateupstream.store.etcd.EtcdClientTest.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.store.etcd.EtcdException.Kind;
import dev.privateupstream.testing.EtcdCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link EtcdClient} against single-member etcd clusters with auth on (tokens expiring after one idle second,
 * so a stale token is easy to get) and with TLS requiring a client certificate.
 */
class EtcdClientSecurityIT {
    @RegisterExtension
    static final EtcdCluster secured = EtcdCluster.members(1).withFlags("--auth-token-ttl", "1");

    @RegisterExtension
    static final EtcdCluster tls = EtcdCluster.members(1).withTls();

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void enableAuth() {
        secured.etcdctl("user", "add", "root:secret");
        secured.etcdctl("auth", "enable");
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
    }

    @Test
    void withCredentialsCallsAndWatchesWork() throws Exception {
        final EtcdClient client = client(EtcdClientSettings.of(secured.clientEndpoints(), TIMEOUT)
                .withCredentials("root", "secret"));
        final String prefix = secured.uniquePrefix();
        final long first = get(client.put(bytes(prefix + "a"), bytes("1"), 0));
        final EtcdClientIT.Events events = new EtcdClientIT.Events();
        closeables.add(0, client.watch(bytes(prefix), EtcdClient.prefixEnd(bytes(prefix)), first, events));
        final long second = get(client.put(bytes(prefix + "b"), bytes("2"), 0));
        assertThat(get(client.range(bytes(prefix), EtcdClient.prefixEnd(bytes(prefix)), RangeOptions.linearizable()))
                .count()).isEqualTo(2);
        events.awaitCount(2);
        assertThat(events.list).containsExactly("PUT " + prefix + "a=1@" + first, "PUT " + prefix + "b=2@" + second);
    }

    @Test
    void aTokenThatExpiredIsReplacedWithoutTheCallerNoticing() throws Exception {
        final EtcdClient client = client(EtcdClientSettings.of(secured.clientEndpoints(), TIMEOUT)
                .withCredentials("root", "secret"));
        final byte[] key = bytes(secured.uniquePrefix() + "k");
        get(client.put(key, bytes("1"), 0));
        final String token = authenticateDirectly();

        // Both tokens idle past their one-second lifetime; etcd's keeper drops them within another second.
        Thread.sleep(3000);
        assertThat(postDirectly("/v3/kv/range", "{\"key\":\"AA==\"}", token).body()).contains("invalid auth token");

        // The client's token is just as stale, on the same connection: it fetches another and sends again.
        assertThat(get(client.put(key, bytes("2"), 0))).isPositive();
        assertThat(get(client.range(key, null, RangeOptions.linearizable())).kvs().get(0).valueText()).isEqualTo("2");
    }

    @Test
    void withoutCredentialsOrWithTheWrongPasswordCallsAreRejected() throws Exception {
        final EtcdClient anonymous = client(EtcdClientSettings.of(secured.clientEndpoints(), TIMEOUT));
        final EtcdException noUser = failure(anonymous.put(bytes("/k"), bytes("v"), 0));
        assertThat(noUser.kind()).isEqualTo(Kind.REJECTED);
        assertThat(noUser).hasMessageContaining("user name is empty");

        final EtcdClient wrong = client(EtcdClientSettings.of(secured.clientEndpoints(), TIMEOUT)
                .withCredentials("root", "wrong"));
        final EtcdException refused = failure(wrong.put(bytes("/k"), bytes("v"), 0));
        assertThat(refused.kind()).isEqualTo(Kind.REJECTED);
        assertThat(refused).hasMessageContaining("authenticating as 'root'").hasMessageContaining("authentication failed");
    }

    @Test
    void overTlsWithAClientCertificateCallsAndWatchesWork() throws Exception {
        final EtcdClient client = client(EtcdClientSettings.of(tls.clientEndpoints(), TIMEOUT)
                .withTls(tls.caCertificate(), tls.clientCertificate().certificate(), tls.clientCertificate().privateKey()));
        assertThat(tls.clientEndpoint(0).getScheme()).isEqualTo("https");
        final String prefix = tls.uniquePrefix();
        final long first = get(client.put(bytes(prefix + "a"), bytes("1"), 0));
        final EtcdClientIT.Events events = new EtcdClientIT.Events();
        closeables.add(0, client.watch(bytes(prefix), EtcdClient.prefixEnd(bytes(prefix)), first, events));
        events.awaitCount(1);
        assertThat(get(client.range(bytes(prefix + "a"), null, RangeOptions.linearizable())).kvs().get(0).valueText())
                .isEqualTo("1");

        // The certificate names localhost too: the host name is checked, whichever form the endpoint takes.
        final URI byName = URI.create("https://localhost:" + tls.clientEndpoint(0).getPort());
        final EtcdClient named = client(EtcdClientSettings.of(List.of(byName), TIMEOUT)
                .withTls(tls.caCertificate(), tls.clientCertificate().certificate(), tls.clientCertificate().privateKey()));
        assertThat(get(named.range(bytes(prefix + "a"), null, RangeOptions.linearizable())).count()).isEqualTo(1);
        awaitTrue(() -> !events.list.isEmpty());
    }

    @Test
    void overTlsAnUntrustedServerOrAMissingClientCertificateFails() throws Exception {
        // The JDK's trust store does not know the test CA.
        final EtcdClient untrusting = client(EtcdClientSettings.of(tls.clientEndpoints(), TIMEOUT));
        final EtcdException untrusted = failure(untrusting.put(bytes("/k"), bytes("v"), 0));
        assertThat(untrusted.kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(untrusted).hasMessageContaining(tls.clientEndpoint(0).toString()).hasMessageContaining("SSL");

        final EtcdClient anonymous = client(EtcdClientSettings.of(tls.clientEndpoints(), TIMEOUT)
                .withTls(tls.caCertificate(), null, null));
        final EtcdException noCertificate = failure(anonymous.put(bytes("/k"), bytes("v"), 0));
        assertThat(noCertificate.kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(noCertificate).hasMessageContaining(tls.clientEndpoint(0).toString());
    }

    private String authenticateDirectly() throws Exception {
        final String body = postDirectly("/v3/auth/authenticate", "{\"name\":\"root\",\"password\":\"secret\"}", null)
                .body();
        return GatewayJson.MAPPER.readTree(body).path("token").asText();
    }

    private HttpResponse<String> postDirectly(String path, String body, String token) throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(secured.clientEndpoint(0).resolve(path))
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", token);
        }
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private EtcdClient client(EtcdClientSettings settings) {
        final EtcdClient client = EtcdClient.create(settings);
        closeables.add(client);
        return client;
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }
}
