package dev.privateupstream.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Prometheus server (Debian's {@code prometheus}, which {@code .ci/run} installs) on 127.0.0.1 for one
 * test, scraping a gateway's {@code /metrics} every second and evaluating rule files every second:
 *
 * <pre>{@code
 * @RegisterExtension final PrometheusServer prometheus = new PrometheusServer();
 * ...
 * prometheus.start("127.0.0.1:" + gateway.adminPort(), List.of(rulesFile));
 * JsonNode answer = prometheus.query("sum(gateway_active_connections)");
 * }</pre>
 *
 * <p>One process with its configuration and storage in a temporary folder, its port from {@link FreePorts};
 * killed after the test, and by the kernel when the JVM dies first (when {@code setpriv} is there). Without
 * a {@code prometheus} binary the test is skipped, unless {@code CI=true}, where it fails.
 */
public final class PrometheusServer implements AfterEachCallback {
    /** The {@code job} label of the gateway's series. */
    public static final String JOB = "gateway";
    private static final List<String> CANDIDATES = List.of("/usr/bin/prometheus", "/usr/local/bin/prometheus");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path dir;
    private Process process;
    private int port;

    /**
     * Starts Prometheus scraping {@code target} ({@code host:port} of an admin server) as job {@link #JOB},
     * with {@code ruleFiles} loaded; returns once it answers ready.
     */
    public void start(String target, List<Path> ruleFiles) throws Exception {
        if (process != null) {
            throw new IllegalStateException("Prometheus already runs for this test");
        }
        final Path prometheus = ExternalProcess.require("prometheus", CANDIDATES);
        dir = Files.createTempDirectory("prometheus-");
        port = FreePorts.next();
        final Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  scrape_timeout: 1s",
                "  evaluation_interval: 1s",
                "rule_files:",
                ruleFiles.stream().map(f -> "  - " + f.toAbsolutePath()).collect(Collectors.joining("\n")),
                "scrape_configs:",
                "  - job_name: " + JOB,
                "    static_configs:",
                "      - targets: [ \"" + target + "\" ]",
                ""));
        final List<String> command = ExternalProcess.diesWithThisJvm(List.of(prometheus.toString(),
                "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn"));
        process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        process.getOutputStream().close();
        try {
            Await.until("Prometheus answers ready on 127.0.0.1:" + port, Duration.ofSeconds(30),
                    () -> process.isAlive() && ready());
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " (alive: " + process.isAlive() + "); its log:\n" + log(), e);
        }
    }

    private boolean ready() {
        try {
            return get("/-/ready").statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * {@code GET /api/v1/query?query=promql} at the current time: the whole answer ({@code status},
     * {@code data.resultType}, {@code data.result}, or {@code errorType} and {@code error}).
     */
    public JsonNode query(String promql) throws IOException, InterruptedException {
        return api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    }

    /** {@code GET} of an API path ({@code /api/v1/rules}, {@code /api/v1/series?match[]=...}) as JSON. */
    public JsonNode api(String pathAndQuery) throws IOException, InterruptedException {
        return JSON.readTree(get(pathAndQuery).body());
    }

    private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** What Prometheus logged so far (warnings and errors). */
    public String log() {
        try {
            return Files.readString(dir.resolve("prometheus.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            process = null;
        }
        GatewayExtension.deleteTree(dir);
        dir = null;
    }
}
