package dev.privateupstream.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real nginx (Debian's {@code nginx}, which {@code .ci/run} installs) on 127.0.0.1 as a backend for a test
 * class, answering {@code 200 ok} to any request, with the keep-alive timeout the test names:
 *
 * <pre>{@code @RegisterExtension static final NginxBackend nginx = NginxBackend.withKeepaliveTimeout("1s");}</pre>
 *
 * <p>nginx starts when a test first asks for its {@link #url()}, so a class whose other tests need no nginx
 * runs them without it. One process, in the foreground ({@code daemon off; master_process off;}), with its
 * configuration, pid and logs in a temporary folder; its error log is copied to
 * {@code target/nginx-logs/<class>/} when the build directory is known. Without an {@code nginx} binary the
 * test that asks is skipped, unless {@code CI=true}, where it fails. The process is killed after the class,
 * and by the kernel when the JVM dies first (when {@code setpriv} is there, as for {@link EtcdCluster}).
 */
public final class NginxBackend implements AfterAllCallback {
    private static final List<String> CANDIDATES = List.of("/usr/sbin/nginx", "/usr/bin/nginx",
            "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx");
    private static final Duration LISTENING_WITHIN = Duration.ofSeconds(10);

    private final String keepaliveTimeout;
    private Path dir;
    private Process process;
    private int port;

    private NginxBackend(String keepaliveTimeout) {
        this.keepaliveTimeout = keepaliveTimeout;
    }

    /** An nginx whose {@code keepalive_timeout} is {@code timeout} (nginx's syntax: {@code 1s}, {@code 500ms}). */
    public static NginxBackend withKeepaliveTimeout(String timeout) {
        return new NginxBackend(timeout);
    }

    private void start() throws Exception {
        final Path nginx = ExternalProcess.require("nginx", CANDIDATES);
        dir = Files.createTempDirectory("nginx-backend-");
        port = FreePorts.next();
        final Path config = dir.resolve("nginx.conf");
        Files.writeString(config, String.join("\n",
                "daemon off;",
                "master_process off;",
                "worker_processes 1;",
                "pid " + dir.resolve("nginx.pid") + ";",
                "error_log " + dir.resolve("error.log") + " info;",
                "events { worker_connections 512; }",
                "http {",
                "    access_log off;",
                "    client_body_temp_path " + dir.resolve("body") + ";",
                "    proxy_temp_path " + dir.resolve("proxy") + ";",
                "    fastcgi_temp_path " + dir.resolve("fastcgi") + ";",
                "    uwsgi_temp_path " + dir.resolve("uwsgi") + ";",
                "    scgi_temp_path " + dir.resolve("scgi") + ";",
                "    keepalive_timeout " + keepaliveTimeout + ";",
                // Only the idle timeout ends a kept-alive connection here, not a count of requests.
                "    keepalive_requests 1000000;",
                "    server {",
                "        listen 127.0.0.1:" + port + ";",
                "        location / { return 200 \"ok\"; }",
                "    }",
                "}",
                ""));
        final List<String> command = ExternalProcess.diesWithThisJvm(List.of(nginx.toString(), "-p", dir + "/",
                "-c", config.toString(), "-e", dir.resolve("error.log").toString()));
        process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("nginx.out").toFile()).start();
        process.getOutputStream().close();
        awaitListening();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            process = null;
        }
        if (dir == null) {
            return;
        }
        final String buildDirectory = System.getProperty("build.directory");
        final Path errorLog = dir.resolve("error.log");
        if (buildDirectory != null && Files.exists(errorLog)) {
            final Path logs = Files.createDirectories(Path.of(buildDirectory, "nginx-logs",
                    context.getRequiredTestClass().getSimpleName()));
            Files.copy(errorLog, logs.resolve("error.log"), StandardCopyOption.REPLACE_EXISTING);
        }
        GatewayExtension.deleteTree(dir);
        dir = null;
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

    /** What nginx logged so far: its error log and anything it printed. */
    public String log() {
        final StringBuilder log = new StringBuilder();
        for (String name : List.of("nginx.out", "error.log")) {
            try {
                final Path file = dir.resolve(name);
                if (Files.exists(file)) {
                    log.append("--- ").append(name).append(" ---\n")
                            .append(Files.readString(file, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                log.append("(").append(name).append(" unreadable: ").append(e).append(")\n");
            }
        }
        return log.toString();
    }

    private void awaitListening() throws InterruptedException {
        final long deadline = System.nanoTime() + LISTENING_WITHIN.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("nginx exited " + process.exitValue() + ":\n" + log());
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("nginx does not listen on " + port + " within " + LISTENING_WITHIN
                            + ":\n" + log());
                }
                Thread.sleep(20);
            }
        }
    }
}
