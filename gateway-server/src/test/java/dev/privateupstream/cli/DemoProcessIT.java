package dev.privateupstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code java -jar gateway.jar demo} as a user runs it: a real process whose printed outcomes are checked. */
class DemoProcessIT {

    @Test
    void demoPrintsTheSignalRAndWebPubSubOutcomesAndStopsCleanlyOnSigterm() throws Exception {
        final Path jar = Path.of(System.getProperty("gateway.jar"));
        assertThat(jar).exists();
        final Process process = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar",
                jar.toString(), "demo").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
                if (line.startsWith("running")) {
                    break;
                }
            }
            assertThat(lines).as(String.join("\n", lines)).anySatisfy(l -> assertThat(l)
                    .contains("approved endpoint").contains("127.0.0.10").contains("200 forwarded")
                    .contains("X-Forwarded-For: 127.0.0.10"));
            assertThat(lines).anySatisfy(l -> assertThat(l)
                    .contains("pending endpoint").contains("127.0.0.20").contains("403 endpoint-pending"));
            assertThat(lines).anySatisfy(l -> assertThat(l)
                    .contains("public network").contains("127.0.0.1 ").contains("403 public-network"));
            // The Web PubSub calls, from the approved endpoint (SPEC §13): the handshake never reaches the
            // backend, the signed connect does, the forged user event is refused.
            assertThat(lines).as(String.join("\n", lines)).containsSubsequence(
                    "sample Web PubSub event-handler calls (CloudEvents, from the approved endpoint):",
                    "  abuse protection -> 200 answered by the gateway (WebHook-Allowed-Origin: "
                            + "contoso.webpubsub.azure.com)",
                    "  connect event    -> 200 forwarded; the backend answered {\"userId\":\"alice\"}",
                    "  forged signature -> 401 invalid-signature (not forwarded)");
            process.destroy(); // SIGTERM
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isZero();
        } finally {
            process.destroyForcibly();
        }
        Files.writeString(Path.of(System.getProperty("build.directory", "target"), "demo-output.txt"),
                String.join("\n", lines) + "\n");
    }
}
