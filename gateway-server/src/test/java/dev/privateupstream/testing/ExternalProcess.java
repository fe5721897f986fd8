package dev.privateupstream.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command-line tool a test needs (openssl, curl, haproxy) and collects what it printed: the peers
 * we did not write, so the gateway is tested against real implementations.
 */
public final class ExternalProcess {
    private ExternalProcess() {
    }

    /** What a finished command printed (standard output and error, interleaved) and its exit status. */
    public record Result(int exitCode, String output) {
    }

    /** Runs {@code command} in {@code dir} with standard input closed; fails the test after {@code timeout}. */
    public static Result run(Path dir, Duration timeout, String... command) throws IOException, InterruptedException {
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        final byte[][] output = new byte[1][];
        final Thread reader = new Thread(() -> {
            try (InputStream in = process.getInputStream()) {
                output[0] = in.readAllBytes();
            } catch (IOException e) {
                output[0] = ("(output unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        reader.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            reader.join(5000);
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
        }
        reader.join(5000);
        return new Result(process.exitValue(), new String(output[0], StandardCharsets.UTF_8));
    }

    /** Like {@link #run} but fails the test unless the command exits 0; returns its output. */
    public static String check(Path dir, String... command) throws IOException, InterruptedException {
        final Result result = run(dir, Duration.ofSeconds(30), command);
        if (result.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + result.exitCode() + ":\n"
                    + result.output());
        }
        return result.output();
    }

    /**
     * The first of {@code candidates} that is an executable file. When there is none the test is skipped,
     * except under {@code CI=true}, where {@code .ci/run} installs {@code debianPackage}: there it fails.
     */
    public static Path require(String debianPackage, List<String> candidates) {
        final Path binary = find(candidates);
        if (binary == null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                org.junit.jupiter.api.Assertions.fail(debianPackage + " is not installed, and CI=true requires it "
                        + "(apt-get install " + debianPackage + ")");
            }
            org.junit.jupiter.api.Assumptions.abort(debianPackage + " is not installed");
        }
        return binary;
    }

    /**
     * {@code command} run under {@code setpriv --pdeathsig KILL} where setpriv is installed, so that the kernel
     * kills a server the test started (nginx, Prometheus) when the JVM dies before the test could.
     */
    public static List<String> diesWithThisJvm(List<String> command) {
        final Path setpriv = find(List.of("/usr/bin/setpriv", "/bin/setpriv"));
        if (setpriv == null) {
            return command;
        }
        final List<String> bound = new ArrayList<>(List.of(setpriv.toString(), "--pdeathsig", "KILL", "--"));
        bound.addAll(command);
        return bound;
    }

    /** The first of {@code candidates} that is an executable file, or {@code null}. */
    public static Path find(List<String> candidates) {
        for (String candidate : candidates) {
            final Path path = Path.of(candidate);
            if (Files.isExecutable(path)) {
                return path;
            }
        }
        return null;
    }
}
