package dev.privateupstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.ExternalProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code completion}: a script bash accepts, and that completes commands and options when loaded. */
class CompletionCommandTest {
    @TempDir
    Path dir;

    private final CapturedCommandLine cli = new CapturedCommandLine();

    private Path script(String... args) throws IOException {
        assertThat(cli.run(args)).as(cli.err.toString()).isZero();
        return Files.writeString(dir.resolve("completion.bash"), cli.out.toString());
    }

    /**
     * Runs {@code bash -c COMMAND} with the script as {@code $1}: its standard output, or a failure with its
     * standard error when it exits other than 0. (Completion functions called outside completion complain on
     * standard error about {@code compopt}, harmlessly.)
     */
    private String bash(Path script, String command) throws Exception {
        final Path bash = ExternalProcess.require("bash", List.of("/bin/bash", "/usr/bin/bash"));
        final Path errors = dir.resolve("bash.err");
        final Process process = new ProcessBuilder(List.of(bash.toString(), "-c", command, "bash", script.toString()))
                .redirectError(errors.toFile()).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(() -> read(errors)).isZero();
        return output;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    void printsAScriptBashAccepts() throws Exception {
        final Path script = script("completion");
        assertThat(Files.readString(script)).contains("complete -F").contains("gateway")
                .contains("validate").contains("--config");
        bash(script, "bash -n \"$1\"");
    }

    @Test
    void theLoadedScriptCompletesCommandsAndOptions() throws Exception {
        final Path script = script("completion");
        final String complete = "source \"$1\"; COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=\"${COMP_WORDS[*]}\"; "
                + "COMP_POINT=${#COMP_LINE}; %s; printf '%%s\\n' \"${COMPREPLY[@]}\"";
        final String function = "$(complete -p gateway | sed -E 's/.*-F ([^ ]+).*/\\1/')";
        assertThat(bash(script, String.format(complete, "gateway va", 1, function)).lines()).containsExactly(
                "validate");
        assertThat(bash(script, String.format(complete, "gateway store ''", 2, function)).lines())
                .contains("export", "import");
        assertThat(bash(script, String.format(complete, "gateway explain --so", 2, function)).lines())
                .containsExactly("--source");
    }

    @Test
    void completesTheNameItIsGiven() throws Exception {
        final Path script = script("completion", "--command", "gw");
        assertThat(bash(script, "source \"$1\"; complete -p gw")).contains("gw");
    }

    @Test
    void refusesANameTheShellWouldNotTakeAsOne() {
        assertThat(cli.run("completion", "--command", "gw; rm -rf /")).isEqualTo(2);
        assertThat(cli.err.toString()).contains("is not a command name");
    }
}
