package dev.privateupstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --version} and the manual-page layout of every command's {@code --help}. */
class GatewayCommandTest {
    private final CapturedCommandLine cli = new CapturedCommandLine();

    @Test
    void versionNamesTheGatewayJavaAndNetty() {
        assertThat(cli.run("--version")).isZero();
        final String[] lines = cli.out.toString().split("\\R");
        assertThat(lines).hasSize(3);
        // The Maven project's version, filled in by the build: never a placeholder.
        assertThat(lines[0]).matches("gateway \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        assertThat(lines[1]).startsWith("Java " + Runtime.version() + " (");
        assertThat(lines[2]).isEqualTo("Netty " + io.netty.util.Version.identify().get("netty-common")
                .artifactVersion()).startsWith("Netty 4.2.");
    }

    @Test
    void everyCommandWithTheOptionPrintsTheSameVersion() {
        cli.run("--version");
        final String root = cli.out.toString();
        cli.clear();
        assertThat(cli.run("validate", "--version")).isZero();
        assertThat(cli.out.toString()).isEqualTo(root);
    }

    @Test
    void everyCommandsHelpReadsLikeAManualPageWithExamples() {
        final List<List<String>> commands = new ArrayList<>();
        collect(GatewayCommand.commandLine(), new ArrayList<>(), commands);
        assertThat(commands).extracting(c -> String.join(" ", c)).contains("", "run", "validate", "explain",
                "send", "store", "store export", "store import", "demo", "completion");
        for (List<String> command : commands) {
            cli.clear();
            final List<String> args = new ArrayList<>(command);
            args.add("--help");
            assertThat(cli.run(args.toArray(String[]::new))).as("%s --help", command).isZero();
            final String help = cli.out.toString();
            final String name = ("java -jar gateway.jar " + String.join(" ", command)).strip();
            assertThat(help).as(name).contains("Description:", "Options:", "Exit status:");
            final String examples = help.substring(help.indexOf("Examples:"));
            assertThat(examples.lines()).as(name).first().isEqualTo("Examples:");
            assertThat(examples.lines()).as(name).anyMatch(line -> (line + " ").startsWith("  " + name + " "));
            // Each example on lines of its own, never wrapped by the 80 columns of the help text.
            assertThat(examples.lines().skip(1)).as(name).allMatch(line -> line.isEmpty() || line.startsWith("  "));
            assertThat(help.indexOf("Exit status:")).as(name).isLessThan(help.indexOf("Examples:"));
            assertThat(help.lines()).as(name).allMatch(line -> line.length() <= 120);
        }
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
        into.add(path);
        command.getSubcommands().forEach((name, sub) -> {
            final List<String> next = new ArrayList<>(path);
            next.add(name);
            collect(sub, next, into);
        });
    }
}
