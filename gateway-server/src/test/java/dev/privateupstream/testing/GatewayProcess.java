package dev.privateupstream.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real runnable jar ({@code java -jar gateway.jar run --config FILE}) as a child process, for tests of
 * what only a process shows: signals, exit codes, a restart. The jar's path comes from the system property
 * {@code gateway.jar}, which Failsafe sets; standard output (the access log) and standard error (the rest)
 * go to files in {@code logs}.
 */
public final class GatewayProcess implements AutoCloseable {
    private static final Pattern PROXY = Pattern.compile("proxy listening on \\S*:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin server listening on \\S*:(\\d+)");

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final int proxyPort;
    private final int adminPort;

    private GatewayProcess(Process process, Path stdout, Path stderr, int proxyPort, int adminPort) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.proxyPort = proxyPort;
        this.adminPort = adminPort;
    }

    /**
     * Starts the jar on the integration tests' transport ({@link TestTransport}) and waits until both
     * listeners are bound (their ports read from its log).
     */
    public static GatewayProcess start(Path config, Path logs, String name) throws IOException, InterruptedException {
        return start(config, logs, name, List.of(), TestTransport.name());
    }

    /**
     * As {@link #start(Path, Path, String)}, with {@code run --transport transport}, the command run through
     * {@code launcher} (a program that takes the command as its arguments; empty for none).
     */
    public static GatewayProcess start(Path config, Path logs, String name, List<String> launcher, String transport)
            throws IOException, InterruptedException {
        return start(config, logs, name, launcher, transport, Map.of());
    }

    /**
     * As {@link #start(Path, Path, String)}, with these variables added to the process's environment (the
     * {@code ${NAME}} of a configuration, as a pod's Secrets would set them).
     */
    public static GatewayProcess start(Path config, Path logs, String name, Map<String, String> environment)
            throws IOException, InterruptedException {
        return start(config, logs, name, List.of(), TestTransport.name(), environment);
    }

    private static GatewayProcess start(Path config, Path logs, String name, List<String> launcher,
            String transport, Map<String, String> environment) throws IOException, InterruptedException {
        Files.createDirectories(logs);
        final Path out = logs.resolve(name + ".out");
        final Path err = logs.resolve(name + ".err");
        final List<String> command = new ArrayList<>(launcher);
        command.addAll(command("run", "--config", config.toString(), "--threads", "2",
                "--transport", transport));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        final Process process = builder
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Integer proxy = null;
        Integer admin = null;
        while (proxy == null || admin == null) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("the gateway did not start (exit "
                        + (process.isAlive() ? "none" : process.exitValue()) + "):\n" + Files.readString(err));
            }
            Thread.sleep(20);
            final String log = Files.readString(err, StandardCharsets.UTF_8);
            proxy = port(PROXY, log);
            admin = port(ADMIN, log);
        }
        return new GatewayProcess(process, out, err, proxy, admin);
    }

    /** {@code java -Xmx256m -jar gateway.jar ARGS...}, with the jar Failsafe built. */
    public static List<String> command(String... args) {
        final String jar = System.getProperty("gateway.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("gateway.jar: " + jar + " (expected: the shaded jar, built by "
                    + "`mvn package`; Failsafe passes its path)");
        }
        final String java = ProcessHandle.current().info().command().orElse("java");
        final List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-jar", jar));
        command.addAll(List.of(args));
        return command;
    }

    private static Integer port(Pattern pattern, String log) {
        final Matcher m = pattern.matcher(log);
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }

    public int proxyPort() {
        return proxyPort;
    }

    public int adminPort() {
        return adminPort;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends SIGTERM ({@link Process#destroy()} on Linux). */
    public void terminate() {
        process.destroy();
    }

    /** The exit code, or {@code -1} if it has not exited in time. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    public String stdout() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    public String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    /** Kills the process if a test left it running. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
