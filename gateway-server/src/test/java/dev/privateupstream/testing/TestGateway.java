package dev.privateupstream.testing;

import dev.privateupstream.GatewayServer;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.transport.Transport;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real gateway in this process for integration tests: writes {@code gateway.yaml} and
 * {@code endpoints.yaml} into a folder, loads them through the real loader and starts the real server on
 * a free loopback port.
 */
public final class TestGateway implements AutoCloseable {
    /** The resource id the default test upstream and endpoints use. */
    public static final String RESOURCE =
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/test/providers/Microsoft.Web/sites/func-a";
    public static final String OTHER_RESOURCE =
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/test/providers/Microsoft.Web/sites/func-b";

    /**
     * Endpoints every loopback test shares: 127.0.0.10 approved, 127.0.0.20 pending, 127.0.0.30 rejected,
     * 127.0.0.40 disconnected, 127.0.0.50 timeout, 127.0.0.60 approved for the other resource.
     */
    public static final String STANDARD_ENDPOINTS = endpoint("approved", RESOURCE, "Approved", "127.0.0.10")
            + endpoint("pending", RESOURCE, "Pending", "127.0.0.20")
            + endpoint("rejected", RESOURCE, "Rejected", "127.0.0.30")
            + endpoint("disconnected", RESOURCE, "Disconnected", "127.0.0.40")
            + endpoint("timeout", RESOURCE, "Timeout", "127.0.0.50")
            + endpoint("other-approved", OTHER_RESOURCE, "Approved", "127.0.0.60");

    /** The admin token of {@link #gatewayYaml} configurations. */
    public static final String ADMIN_TOKEN = "test-admin-token";
    /** An approver token of {@link #ADMIN_WITH_ROLES}, named {@code alice}. */
    public static final String APPROVER_TOKEN = "alice-token";
    /** A reader token of {@link #ADMIN_WITH_ROLES}, named {@code grafana}. */
    public static final String READER_TOKEN = "grafana-token";
    /**
     * An {@code admin:} section for the {@code extra} of {@link #gatewayYaml}: a free loopback port,
     * {@link #ADMIN_TOKEN}, and the {@code admin.tokens} {@link #APPROVER_TOKEN} and {@link #READER_TOKEN}
     * (SPEC §12).
     */
    public static final String ADMIN_WITH_ROLES = "admin:\n  address: 127.0.0.1\n  port: 0\n  token: " + ADMIN_TOKEN
            + "\n  tokens:\n    - { name: alice, token: " + APPROVER_TOKEN + ", role: approver }\n"
            + "    - { name: grafana, token: " + READER_TOKEN + ", role: reader }\n";

    private final GatewayServer server;
    private final Path dir;

    private TestGateway(GatewayServer server, Path dir) {
        this.server = server;
        this.dir = dir;
    }

    /** One endpoints-file entry. */
    public static String endpoint(String name, String resource, String status, String privateIps) {
        return "- name: " + name + "\n  groupId: sites\n  privateLinkResourceId: " + resource + "\n  status: " + status
                + "\n  privateIps: [ " + privateIps + " ]\n";
    }

    /** An upstream named {@code func-a} for {@link #RESOURCE} at {@code url}, taking any Host. */
    public static String upstream(String name, String resource, String url, String extra) {
        return "  - name: " + name + "\n    resourceId: " + resource + "\n    url: " + url + "\n" + extra;
    }

    /**
     * Standard settings around the given {@code upstreams:} entries and extra top-level YAML. Unless
     * {@code extra} has its own {@code admin:} section, the admin server takes a free loopback port (never
     * the default 9090, which parallel builds would fight over) and the token {@link #ADMIN_TOKEN}.
     */
    public static String gatewayYaml(String upstreams, String extra) {
        return gatewayYamlWithStore(upstreams, extra, "  file: endpoints.yaml\n");
    }

    /**
     * As {@link #gatewayYaml(String, String)}, with the given {@code sharedPrivateEndpoints:} section body
     * (indented keys, such as {@code "  etcd:\n    endpoints: [ ... ]\n"}).
     */
    public static String gatewayYamlWithStore(String upstreams, String extra, String endpointStore) {
        final String admin = extra.startsWith("admin:") || extra.contains("\nadmin:") ? ""
                : "admin:\n  address: 127.0.0.1\n  port: 0\n  token: " + ADMIN_TOKEN + "\n";
        return "listen:\n  address: 127.0.0.1\n  port: 0\n" + admin + extra + "upstreams:\n" + upstreams
                + "sharedPrivateEndpoints:\n" + endpointStore;
    }

    /**
     * Like {@link #gatewayYaml(String, String)}, with {@code listen} added to the {@code listen:} section
     * (indented keys such as {@code "  proxyProtocol: required\n"}).
     */
    public static String gatewayYaml(String listen, String upstreams, String extra) {
        final String yaml = gatewayYaml(upstreams, extra);
        final String listenEnd = "listen:\n  address: 127.0.0.1\n  port: 0\n";
        if (!yaml.startsWith(listenEnd)) {
            throw new IllegalStateException("gatewayYaml no longer starts with " + listenEnd);
        }
        return listenEnd + listen + yaml.substring(listenEnd.length());
    }

    public static TestGateway start(Path dir, String gatewayYaml, String endpointsYaml) throws Exception {
        return start(dir, gatewayYaml, endpointsYaml, TestTransport.chosen());
    }

    /** As {@link #start(Path, String, String)}, on that socket transport. */
    public static TestGateway start(Path dir, String gatewayYaml, String endpointsYaml, Transport transport)
            throws Exception {
        Files.writeString(dir.resolve("gateway.yaml"), gatewayYaml);
        if (endpointsYaml != null) {
            // None for a gateway whose endpoints live in etcd.
            Files.writeString(dir.resolve("endpoints.yaml"), endpointsYaml);
        }
        final ConfigLoader loader = new ConfigLoader(Map.of());
        final GatewayConfig config = loader.load(dir.resolve("gateway.yaml"));
        return new TestGateway(GatewayServer.start(config, loader, new GatewayMetrics(), 2, transport), dir);
    }

    /**
     * The standard endpoints in front of one backend: {@code func-a} takes any Host, and {@code func-b}
     * (the other resource, same backend) only {@code func-b.example}, which any-Host calls never reach
     * since {@code func-a} comes first.
     */
    public static TestGateway standard(Path dir, RecordingBackend backend, String extra) throws Exception {
        return standard(dir, backend, extra, TestTransport.chosen());
    }

    /** As {@link #standard(Path, RecordingBackend, String)}, on that socket transport. */
    public static TestGateway standard(Path dir, RecordingBackend backend, String extra, Transport transport)
            throws Exception {
        return start(dir, standardYaml(backend, extra), STANDARD_ENDPOINTS, transport);
    }

    /** The gateway.yaml of {@link #standard(Path, RecordingBackend, String)}. */
    public static String standardYaml(RecordingBackend backend, String extra) {
        return standardYaml(backend.url(), extra);
    }

    /** As {@link #standardYaml(RecordingBackend, String)}, for a backend of another kind at {@code url}. */
    public static String standardYaml(String url, String extra) {
        return gatewayYaml(standardUpstreams(url), extra);
    }

    /**
     * The {@code upstreams:} entries of {@link #standard(Path, RecordingBackend, String)}, both at {@code url},
     * for a gateway whose other settings are not the standard ones.
     */
    public static String standardUpstreams(String url) {
        return upstream("func-a", RESOURCE, url, "") + upstream("func-b", OTHER_RESOURCE, url,
                "    hosts: [ func-b.example ]\n");
    }

    /**
     * Writes the standard configuration's two files into {@code dir}, for a gateway started some other way
     * (a process); returns the path of gateway.yaml.
     */
    public static Path writeStandardFiles(Path dir, RecordingBackend backend, String extra) throws IOException {
        final Path config = dir.resolve("gateway.yaml");
        Files.writeString(config, standardYaml(backend, extra));
        Files.writeString(dir.resolve("endpoints.yaml"), STANDARD_ENDPOINTS);
        return config;
    }

    public int port() {
        return server.listenAddress().getPort();
    }

    /** The admin server's port. */
    public int adminPort() {
        return server.adminAddress().getPort();
    }

    /** {@code http://127.0.0.1:ADMINPORT/path}. */
    public URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + adminPort() + path);
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    public GatewayServer server() {
        return server;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
