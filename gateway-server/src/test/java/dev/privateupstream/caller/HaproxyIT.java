package dev.privateupstream.caller;

import static dev.privateupstream.caller.CallerGateways.awaitDenied;
import static dev.privateupstream.caller.CallerGateways.denied;
import static dev.privateupstream.caller.CallerGateways.get;
import static dev.privateupstream.caller.ProxyHeaders.ascii;
import static dev.privateupstream.caller.ProxyHeaders.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.privateupstream.testing.ExternalProcess;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestGateway;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real HAProxy (Debian's package) in {@code mode tcp} in front of the gateway, sending PROXY v2 (with a
 * CRC32C TLV, which the gateway verifies) on one frontend and v1 on another: a header written by a peer we
 * did not write. A third frontend sends its v2 header to the test itself, which replays it to the gateway
 * as HAProxy sealed it and with one bit flipped. The gateway requires the header and trusts only
 * 127.0.0.1, where HAProxy connects from.
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
    /** HAProxy's third frontend, whose backend is {@link #capture}: the test sees the header HAProxy writes. */
    private static int capturePort;
    private static ServerSocket capture;

    @BeforeAll
    static void start() throws Exception {
        final Path binary = ExternalProcess.require("haproxy", List.of("/usr/sbin/haproxy", "/usr/bin/haproxy",
                "/usr/local/sbin/haproxy"));
        backend = RecordingBackend.start();
        gateway = CallerGateways.start(dir, backend, "  proxyProtocol: required\n  trustedProxies: [ 127.0.0.1 ]\n");
        v2Port = freePort();
        v1Port = freePort();
        capturePort = freePort();
        capture = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        capture.setSoTimeout(10_000);
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
                "frontend capture",
                "    bind 127.0.0.1:" + capturePort,
                "    default_backend capture",
                "backend gateway_v1",
                "    server gw 127.0.0.1:" + gateway.port() + " send-proxy",
                "backend capture",
                "    server test 127.0.0.1:" + capture.getLocalPort() + " send-proxy-v2 proxy-v2-options crc32c",
                ""));
        haproxy = new ProcessBuilder(binary.toString(), "-f", config.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        awaitListening(v2Port);
        awaitListening(v1Port);
        // Not the capture port: a probe there would reach the test's socket ahead of the call it waits for.
    }

    @AfterAll
    static void stop() throws Exception {
        if (haproxy != null) {
            haproxy.destroy();
            if (!haproxy.waitFor(5, TimeUnit.SECONDS)) {
                haproxy.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (capture != null) {
            capture.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
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

    @Test
    void v2HeaderSealedByHaproxyIsVerifiedAndOneFlippedBitIsRefused() throws Exception {
        final byte[] header = headerWrittenByHaproxy("127.0.0.10");
        assertThat(Arrays.copyOf(header, 14)).as("v2, PROXY, TCP over IPv4").isEqualTo(
                concat(ProxyHeaders.V2_SIGNATURE, new byte[] {0x21, 0x11}));
        assertThat(crc32cTlvs(header)).as("HAProxy sends one CRC32C TLV of 4 bytes").isEqualTo(1);

        final int before = backend.received().size();
        try (RawClient client = new RawClient("127.0.0.1", gateway.port())) {
            assertThat(client.send(concat(header, ascii(get("/sealed")))).read().status()).isEqualTo(200);
        }
        assertThat(backend.received().get(before).headers("X-Forwarded-For")).containsExactly("127.0.0.10");

        // The source's last bit flipped: 127.0.0.10 becomes 127.0.0.11, which only the checksum tells apart.
        final double refused = denied(gateway.server(), "bad-proxy-header");
        final byte[] damaged = header.clone();
        damaged[16 + 3] ^= 0x01;
        try (RawClient client = new RawClient("127.0.0.1", gateway.port())) {
            try {
                client.send(concat(damaged, ascii(get("/damaged"))));
            } catch (IOException e) {
                // reset while writing: closed all the same
            }
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(awaitDenied(gateway.server(), "bad-proxy-header", refused + 1)).isEqualTo(refused + 1);
        assertThat(backend.received()).hasSize(before + 1);
    }

    /** Calls HAProxy's capture frontend from {@code source} and returns the PROXY v2 header HAProxy sends on. */
    private static byte[] headerWrittenByHaproxy(String source) throws IOException {
        try (RawClient client = new RawClient(source, capturePort)) {
            client.send(get("/captured"));
            try (Socket fromHaproxy = capture.accept()) {
                fromHaproxy.setSoTimeout(10_000);
                final DataInputStream in = new DataInputStream(fromHaproxy.getInputStream());
                final byte[] fixed = new byte[16];
                in.readFully(fixed);
                final byte[] rest = new byte[(fixed[14] & 0xFF) << 8 | fixed[15] & 0xFF];
                in.readFully(rest);
                return concat(fixed, rest);
            }
        }
    }

    /** How many TLVs of type 0x03 and length 4 follow the IPv4 addresses; walked here, not by the gateway. */
    private static int crc32cTlvs(byte[] header) {
        int found = 0;
        int at = 16 + 12;
        while (at + 3 <= header.length) {
            final int length = (header[at + 1] & 0xFF) << 8 | header[at + 2] & 0xFF;
            if (header[at] == 0x03 && length == 4) {
                found++;
            }
            at += 3 + length;
        }
        return found;
    }
}
