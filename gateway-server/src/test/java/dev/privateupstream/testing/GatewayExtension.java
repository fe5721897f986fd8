package dev.privateupstream.testing;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.GatewayServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real gateway in this process for each test, in its own folder: the test says what it needs, not how to
 * start it.
 *
 * <pre>{@code
 * @RegisterExtension final BackendExtension backend = new BackendExtension();
 * @RegisterExtension final GatewayExtension gateway = GatewayExtension.standard(backend);
 *
 * @Test void approvedCallerIsForwarded() throws Exception {
 *     assertThat(gateway.caller("127.0.0.10").send(POST).read().status()).isEqualTo(200);
 * }
 * }</pre>
 *
 * <p>Callers are sockets bound to their own loopback source address ({@link TestGateway#STANDARD_ENDPOINTS}
 * gives each status its own), closed after the test with the gateway. A test may still close one earlier
 * when the moment a connection ends is part of what it checks.
 */
public final class GatewayExtension implements BeforeEachCallback, AfterEachCallback {
    private final Supplier<String> gatewayYaml;
    private final Supplier<String> endpointsYaml;
    /** Concurrent: tests open callers from threads of their own (a storm of requests, say). */
    private final Queue<RawClient> callers = new ConcurrentLinkedQueue<>();
    private Path dir;
    private TestGateway gateway;
    private AdminClient admin;

    private GatewayExtension(Supplier<String> gatewayYaml, Supplier<String> endpointsYaml) {
        this.gatewayYaml = requireNonNull(gatewayYaml, "gatewayYaml");
        this.endpointsYaml = endpointsYaml;
    }

    /** The standard endpoints and upstreams ({@link TestGateway#standard}) in front of {@code backend}. */
    public static GatewayExtension standard(BackendExtension backend) {
        return standard(backend, "");
    }

    /** As {@link #standard(BackendExtension)}, with extra top-level YAML (a {@code signalr:} section...). */
    public static GatewayExtension standard(BackendExtension backend, String extra) {
        return standard(backend::url, extra);
    }

    /**
     * As {@link #standard(BackendExtension, String)}, in front of a backend of another kind (a
     * {@link ServerExtension}'s) whose URL {@code url} gives when each test starts.
     */
    public static GatewayExtension standard(Supplier<String> url, String extra) {
        requireNonNull(url, "url");
        return new GatewayExtension(() -> TestGateway.standardYaml(url.get(), extra),
                () -> TestGateway.STANDARD_ENDPOINTS);
    }

    /**
     * A gateway of the given files, computed when each test starts (so they may name a backend's port).
     *
     * @param endpointsYaml the endpoints file, or {@code null} when {@code gateway.yaml} names no file (etcd)
     */
    public static GatewayExtension of(Supplier<String> gatewayYaml, Supplier<String> endpointsYaml) {
        return new GatewayExtension(gatewayYaml, endpointsYaml);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("gateway-test-");
        gateway = TestGateway.start(dir, gatewayYaml.get(), endpointsYaml == null ? null : endpointsYaml.get());
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (RawClient caller : callers) {
            caller.close();
        }
        callers.clear();
        admin = null;
        if (gateway != null) {
            gateway.close();
            gateway = null;
        }
        deleteTree(dir);
    }

    /** The running gateway. */
    public TestGateway get() {
        if (gateway == null) {
            throw new IllegalStateException("the gateway runs only during a test");
        }
        return gateway;
    }

    public int port() {
        return get().port();
    }

    /** The admin server's port, for callers that are not {@link AdminClient}s (raw sockets, say). */
    public int adminPort() {
        return get().adminPort();
    }

    /** The server itself: its metrics, its policy in force, its drain. */
    public GatewayServer server() {
        return get().server();
    }

    /**
     * The admin API with the test token; {@link AdminClient#withToken} gives another. One per test, since
     * each holds an HTTP client of its own.
     */
    public AdminClient admin() {
        if (admin == null) {
            admin = new AdminClient(adminPort());
        }
        return admin;
    }

    /** A new connection to the proxy port from {@code source} (a loopback address such as 127.0.0.10). */
    public RawClient caller(String source) throws IOException {
        final RawClient caller = new RawClient(source, port());
        callers.add(caller);
        return caller;
    }

    /** The folder of this test's gateway.yaml. */
    public Path dir() {
        return dir;
    }

    static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
