package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.RecordingBackend.Recorded;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A gateway in front of a recording backend for the hostile-input suites: {@code func-a} serves only Host
 * {@code func-a.example}, {@code func-b} (another resource) only {@code func-b.example}; the standard
 * endpoints; small limits so that "over the limit" is cheap to send.
 */
final class HostileFixture implements AutoCloseable {
    static final String HOST = "func-a.example";
    static final int MAX_HEADER_BYTES = 4096;
    static final int MAX_BODY_BYTES = 1024;
    static final String SENTINEL = "/sentinel";

    final RecordingBackend backend;
    final TestGateway gateway;
    private int sentinels;
    private int forwarded;

    private HostileFixture(RecordingBackend backend, TestGateway gateway) {
        this.backend = backend;
        this.gateway = gateway;
    }

    static HostileFixture start(Path dir, String extraYaml) throws Exception {
        final RecordingBackend backend = RecordingBackend.start();
        final String upstreams = TestGateway.upstream("func-a", TestGateway.RESOURCE, backend.url(),
                "    hosts: [ " + HOST + " ]\n")
                + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, backend.url(),
                "    hosts: [ func-b.example ]\n");
        final String limits = "limits:\n  maxHeaderBytes: " + MAX_HEADER_BYTES + "\n  maxBodyBytes: " + MAX_BODY_BYTES
                + "\n";
        final TestGateway gateway = TestGateway.start(dir, TestGateway.gatewayYaml(upstreams, limits + extraYaml),
                TestGateway.STANDARD_ENDPOINTS);
        return new HostileFixture(backend, gateway);
    }

    RawClient client(String source) throws IOException {
        return new RawClient(source, gateway.port()).timeout(5000);
    }

    /** Sends {@code raw} from the approved endpoint and returns the one answer. */
    Response exchange(byte[] raw) throws IOException {
        try (RawClient client = client("127.0.0.10")) {
            return client.send(raw).read();
        }
    }

    /**
     * Sends {@code raw} from the approved endpoint and asserts the gateway's own answer: status, the JSON
     * reason, and whether the connection was closed after it; then that the backend got nothing.
     */
    void assertRefused(byte[] raw, int status, String reason, boolean closes) throws Exception {
        try (RawClient client = client("127.0.0.10")) {
            final Response response = client.send(raw).read();
            assertAnswer(response, status, reason);
            if (closes) {
                assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
                assertThat(client.timeout(3000).closedByServer()).as("connection closed").isTrue();
            } else {
                assertThat(response.header("Connection")).isNull();
                assertThat(client.timeout(200).closedByServer()).as("connection kept open").isFalse();
            }
        }
        assertBackendGotNothing();
    }

    static void assertAnswer(Response response, int status, String reason) {
        assertThat(response.status()).as("status").isEqualTo(status);
        assertThat(response.header("Content-Type")).isEqualTo("application/json");
        assertThat(response.bodyText()).contains("\"reason\":\"" + reason + "\"");
    }

    /**
     * Proves that nothing but sentinels reached the backend: a fresh allowed request is sent and awaited, so
     * anything the gateway had forwarded before it would have arrived too.
     */
    void assertBackendGotNothing() throws Exception {
        try (RawClient client = client("127.0.0.10")) {
            final Response response = client.send("GET " + SENTINEL + " HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n").read();
            assertThat(response.status()).as("sentinel status").isEqualTo(200);
        }
        sentinels++;
        assertThat(backend.awaitCount(sentinels, Duration.ofSeconds(5))).isTrue();
        assertThat(nonSentinels()).as("requests the backend received").hasSize(forwarded);
    }

    List<Recorded> nonSentinels() {
        return backend.received().stream().filter(r -> !r.uri().equals(SENTINEL)).toList();
    }

    /**
     * Waits for the {@code n} requests a test expects to be forwarded and returns them; later checks for
     * "nothing reached the backend" count from there.
     */
    List<Recorded> expectForwarded(int n) throws InterruptedException {
        assertThat(backend.awaitCount(sentinels + forwarded + n, Duration.ofSeconds(5))).isTrue();
        final List<Recorded> all = nonSentinels();
        assertThat(all).hasSize(forwarded + n);
        final List<Recorded> fresh = all.subList(forwarded, all.size());
        forwarded += n;
        return fresh;
    }

    static byte[] bytes(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        gateway.close();
        backend.close();
    }
}
