package dev.privateupstream.caller;

import static dev.privateupstream.caller.CallerGateways.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.privateupstream.testing.ExternalProcess;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real HAProxy (Debian's package) in {@code mode tcp} in front of the gateway, sending PROXY v2 (with a
 * CRC32C TLV the gateway does not use) on one frontend and v1 on another: a header written by a peer we
 * did not write. The gateway requires the header and trusts only 127.0.0.1, where HAProxy connects from.
 *
 * <p>Skipped when {@code haproxy} is not installed, unless {@code CI=true}: there it must be.
 */
class HaproxyIT {
    @TempDir
    static Path dir;

    private static RecordingBackend backend;
    private static TestGateway gateway;
    private static Process haproxy;
    private static int v2Port;
    private static int v1Port;

    @BeforeAll
    static void start() throws Exception {
        final Path binary = ExternalProcess.require("haproxy", List.of("/usr/sbin/haproxy", "/usr/bin/haproxy",
                "/usr/local/sbin/haproxy"));
        backend = RecordingBackend.start();
        gateway = CallerGateways.start(dir, backend, "  proxyProtocol: required\n  trustedProxies: [ 127.0.0.1 ]\n");
        v2Port = freePort();
        v1Port = freePort();
        final Path config = dir.resolve("haproxy.cfg");
        Files.writeString(config, String.join("\n",
                "global",
                "    maxconn 64",
                "defaults",
                "    mode tcp",
                "    timeout connect 2s",
                "    timeout client 10s",
                "    timeout server 10s",
                "frontend v2",
                "    bind 127.0.0.1:" + v2Port,
                "    default_backend gateway_v2",
                "frontend v1",
                "    bind 127.0.0.1:" + v1Port,
                "    default_backend gateway_v1",
                "backend gateway_v2",
                "    server gw 127.0.0.1:" + gateway.port() + " send-proxy-v2 proxy-v2-options crc32c",
                "backend gateway_v1",
                "    server gw 127.0.0.1:" + gateway.port() + " send-proxy",
                ""));
        haproxy = new ProcessBuilder(binary.toString(), "-f", config.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        awaitListening(v2Port);
        awaitListening(v1Port);
    }

    @AfterAll
    static void stop() throws Exception {
        if (haproxy != null) {
            haproxy.destroy();
            if (!haproxy.waitFor(5, TimeUnit.SECONDS)) {
                haproxy.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    /** Waits until HAProxy accepts on {@code port}; fails with its log when it does not. */
    private static void awaitListening(int port) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (!haproxy.isAlive()) {
                fail("haproxy exited " + haproxy.exitValue() + ":\n" + log());
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        fail("haproxy does not listen on " + port + ":\n" + log());
    }

    private static String log() throws IOException {
        return Files.readString(dir.resolve("haproxy.log"), StandardCharsets.UTF_8);
    }

    private static Response callThrough(int port, String source) throws IOException {
        try (RawClient client = new RawClient(source, port)) {
            return client.send(get("/through-haproxy")).read();
        }
    }

    @Test
    void v2HeaderFromHaproxyCarriesTheClientSource() throws Exception {
        final int before = backend.received().size();
        final Response response = callThrough(v2Port, "127.0.0.10");
        assertThat(response.status()).as(log()).isEqualTo(200);
        assertThat(backend.received()).hasSize(before + 1);
        assertThat(backend.received().get(before).headers("X-Forwarded-For")).containsExactly("127.0.0.10");
    }

    @Test
    void v1HeaderFromHaproxyCarriesTheClientSource() throws Exception {
        final int before = backend.received().size();
        assertThat(callThrough(v1Port, "127.0.0.10").status()).as(log()).isEqualTo(200);
        assertThat(backend.received().get(before).headers("X-Forwarded-For")).containsExactly("127.0.0.10");
    }

    @Test
    void sourceFromHaproxyIsJudgedNotHaproxyItself() throws Exception {
        final Response pending = callThrough(v2Port, "127.0.0.20");
        assertThat(pending.status()).isEqualTo(403);
        assertThat(pending.header("X-Gateway-Deny-Reason")).isEqualTo("endpoint-pending");
    }
}
