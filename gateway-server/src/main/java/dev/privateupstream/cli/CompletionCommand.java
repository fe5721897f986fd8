package dev.privateupstream.cli;

import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code completion}: prints a bash (and zsh, through bashcompinit) completion script of every command and
 * option, made by picocli's {@link AutoComplete}.
 *
 * <p>Not picocli's own {@code GenerateCompletion} subcommand: its script completes the root command's name,
 * {@code gateway.jar}, which the shell never sees as a command word ({@code java} is). Ours completes a name
 * operators can type, {@code gateway} by default, and when the script runs from a jar it defines that name as
 * an alias for {@code java -jar} of this very jar unless the shell already knows it.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a bash or zsh completion script for the gateway's commands and options.",
                "It completes the command NAME (--command); unless the shell already has one of that name, the "
                + "script defines it as an alias for java -jar of this jar."},
        footer = {"  source <(java -jar gateway.jar completion)",
                "  java -jar /opt/gateway/gateway.jar completion > /etc/bash_completion.d/gateway",
                "  java -jar gateway.jar completion --command gw >> ~/.zshrc"},
        exitCodeList = {"0:printed", "2:bad usage"})
final class CompletionCommand implements Callable<Integer> {
    @Option(names = "--command", paramLabel = "NAME", defaultValue = "gateway",
            description = "the name the gateway is called by: an alias or a script on the PATH "
                    + "(default: ${DEFAULT-VALUE})")
    String command;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!command.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--command: '" + command
                    + "' is not a command name (expected: letters, digits, '.', '_' or '-')");
        }
        final PrintWriter out = spec.commandLine().getOut();
        out.println("# Completion of the private upstream gateway's command line for bash and zsh, as `" + command
                + "`.");
        out.println("# Load it with: source <(java -jar gateway.jar completion)");
        final Path jar = runningJar();
        if (jar != null) {
            out.println("type " + command + " >/dev/null 2>&1 || alias " + command + "='java -jar "
                    + jar.toString().replace("'", "'\\''") + "'");
        }
        out.print(AutoComplete.bash(command, spec.root().commandLine()));
        out.flush();
        return 0;
    }

    /** The jar this class was loaded from, or {@code null} when it runs from classes (tests, an IDE). */
    private static Path runningJar() {
        final CodeSource source = CompletionCommand.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return null;
        }
        try {
            final Path location = Path.of(source.getLocation().toURI());
            return location.toString().endsWith(".jar") ? location.toAbsolutePath() : null;
        } catch (URISyntaxException | IllegalArgumentException | FileSystemNotFoundException e) {
            return null; // not a file: nothing an alias could name
        }
    }
}
