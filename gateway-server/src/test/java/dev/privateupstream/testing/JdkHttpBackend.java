package dev.privateupstream.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The JDK's own HTTP server ({@code com.sun.net.httpserver}) as a backend for a test class, answering
 * {@code 200 ok} to any request, with an idle keep-alive timeout of whole seconds:
 *
 * <pre>{@code @RegisterExtension static final JdkHttpBackend jdk = JdkHttpBackend.withIdleInterval(1);}</pre>
 *
 * <p>The JDK reads its keep-alive settings once, when the server class initialises, from system properties
 * (JDK 17: {@code sun.net.httpserver.idleInterval}, in seconds, default 30; and
 * {@code sun.net.httpserver.clockTick}, in milliseconds, default 10000, how often idle connections are looked
 * at, so one is closed between {@code idleInterval} and {@code idleInterval + clockTick} after its last
 * exchange). Another test may already have used the server class in this JVM, so the server runs in a JVM of
 * its own ({@link #main}), with {@code clockTick} 50 ms, started when a test first asks for its {@link #url()}.
 * It prints its port, and exits when its standard input closes, so it never outlives the test JVM.
 */
public final class JdkHttpBackend implements AfterAllCallback {
    private static final Pattern LISTENING = Pattern.compile("listening on (\\d+)");
    private static final long CLOCK_TICK_MILLIS = 50;
    private static final Duration STARTED_WITHIN = Duration.ofSeconds(30);

    private final int idleIntervalSeconds;
    private Process process;
    private Path output;
    private int port;

    private JdkHttpBackend(int idleIntervalSeconds) {
        this.idleIntervalSeconds = idleIntervalSeconds;
    }

    /** A server that closes a kept-alive connection idle for {@code seconds} (at least 1, the JDK's unit). */
    public static JdkHttpBackend withIdleInterval(int seconds) {
        if (seconds < 1) {
            throw new IllegalArgumentException("seconds: " + seconds + " (expected: >= 1)");
        }
        return new JdkHttpBackend(seconds);
    }

    private void start() throws Exception {
        output = Files.createTempFile("jdk-http-backend-", ".out");
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dsun.net.httpserver.idleInterval=" + idleIntervalSeconds,
                "-Dsun.net.httpserver.clockTick=" + CLOCK_TICK_MILLIS,
                "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                JdkHttpBackend.class.getName()));
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        final long deadline = System.nanoTime() + STARTED_WITHIN.toNanos();
        while (true) {
            final Matcher matcher = LISTENING.matcher(Files.readString(output, StandardCharsets.UTF_8));
            if (matcher.find()) {
                port = Integer.parseInt(matcher.group(1));
                return;
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the JDK HTTP server did not start:\n"
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (process != null) {
            process.getOutputStream().close(); // its cue to exit
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            process = null;
        }
        if (output != null) {
            Files.deleteIfExists(output);
            output = null;
        }
    }

    /** {@code http://127.0.0.1:PORT}, for an upstream's {@code url}. */
    public String url() {
        if (process == null) {
            try {
                start();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("the backend did not start: " + e, e);
            }
        }
        return "http://127.0.0.1:" + port;
    }

    /**
     * The server process: answers {@code 200 ok} on 127.0.0.1 (a free port, printed) until its standard input
     * ends. Uses nothing but the JDK.
     */
    public static void main(String[] args) throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        final byte[] ok = "ok".getBytes(StandardCharsets.US_ASCII);
        server.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
                body.readAllBytes();
                exchange.getResponseHeaders().set("Content-Type", "text/plain");
                exchange.sendResponseHeaders(200, ok.length);
                out.write(ok);
            }
        });
        final ExecutorService handlers = Executors.newFixedThreadPool(4);
        server.setExecutor(handlers);
        server.start();
        System.out.println("listening on " + server.getAddress().getPort());
        System.out.flush();
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        while (in.readLine() != null) {
            // nothing is sent; the end of the stream is the signal
        }
        server.stop(0);
        handlers.shutdownNow();
    }
}
