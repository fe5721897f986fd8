package dev.privateupstream.caller;

import dev.privateupstream.GatewayServer;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestGateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gateways for the caller-resolution integration tests: the standard loopback endpoints plus private ones
 * that only a PROXY or forwarded header can name (10.x addresses appear only as data, never as a
 * destination).
 */
final class CallerGateways {
    static final String RESOURCE = TestGateway.RESOURCE;
    static final long LINK_ID = 520093697L;
    static final long LINK_ID_WITH_IPS = 7L;

    /**
     * The standard endpoints (127.0.0.10 approved, 127.0.0.20 pending, ...), plus 10.1.0.4 and fd00::4
     * approved, 10.1.0.20 pending, link id 520093697 approved with no address, and link id 7 approved for
     * 10.3.0.0/24 only.
     */
    static final String ENDPOINTS = TestGateway.STANDARD_ENDPOINTS
            + TestGateway.endpoint("private", RESOURCE, "Approved", "10.1.0.4")
            + TestGateway.endpoint("private-v6", RESOURCE, "Approved", "fd00::4")
            + TestGateway.endpoint("private-pending", RESOURCE, "Pending", "10.1.0.20")
            + "- name: linked\n  groupId: sites\n  privateLinkResourceId: " + RESOURCE
            + "\n  status: Approved\n  linkId: " + LINK_ID + "\n"
            + "- name: linked-with-ips\n  groupId: sites\n  privateLinkResourceId: " + RESOURCE
            + "\n  status: Approved\n  privateIps: [ 10.3.0.0/24 ]\n  linkId: " + LINK_ID_WITH_IPS + "\n";

    private CallerGateways() {
    }

    /**
     * A gateway with {@code listen} keys (indented) and {@code extra} top-level YAML in front of
     * {@code backend}: {@code func-a} takes any Host, {@code func-b} (the standard endpoints' other
     * resource) only {@code func-b.example}.
     */
    static TestGateway start(Path dir, RecordingBackend backend, String listen, String extra) throws Exception {
        return TestGateway.start(dir, gatewayYaml(backend.url(), listen, extra), ENDPOINTS);
    }

    static TestGateway start(Path dir, RecordingBackend backend, String listen) throws Exception {
        return start(dir, backend, listen, "");
    }

    /** As {@link #start(Path, RecordingBackend, String)}, declared: a gateway for each test. */
    static GatewayExtension extension(BackendExtension backend, String listen) {
        return GatewayExtension.of(() -> gatewayYaml(backend.url(), listen, ""), () -> ENDPOINTS);
    }

    private static String gatewayYaml(String url, String listen, String extra) {
        return TestGateway.gatewayYaml(listen, TestGateway.standardUpstreams(url), extra);
    }

    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: func-a.example\r\n\r\n";
    }

    /** {@code gateway_denied_total{reason}} as the Prometheus scrape shows it. */
    static double denied(GatewayServer server, String reason) {
        final Matcher m = Pattern.compile("(?m)^gateway_denied_total\\{reason=\"" + Pattern.quote(reason)
                + "\"[^}]*} (\\S+)$").matcher(server.metrics().scrape());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /**
     * Waits until the counter reaches {@code expected} (the gateway counts on its event loop, the test
     * reads from its own thread), then returns it; a counter that overshoots shows too.
     */
    static double awaitDenied(GatewayServer server, String reason, double expected) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        double value;
        while ((value = denied(server, reason)) < expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return value;
    }
}
