package dev.privateupstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar gateway.jar}: the entry point. Usage errors exit with status 2 and a message that
 * names what is wrong (SPEC §3).
 */
@Command(name = "gateway.jar", mixinStandardHelpOptions = true, versionProvider = GatewayCommand.Version.class,
        description = "A reverse proxy that admits only calls from approved shared private endpoints.",
        subcommands = {RunCommand.class, ValidateCommand.class, ExplainCommand.class, SendCommand.class,
                DemoCommand.class})
public final class GatewayCommand implements Runnable {
    /** Exit status for usage errors and invalid configuration. */
    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: run, validate, explain, send or demo");
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests run it in process). */
    public static CommandLine commandLine() {
        final CommandLine cli = new CommandLine(new GatewayCommand());
        cli.setExitCodeExceptionMapper(e -> USAGE);
        cli.setParameterExceptionHandler((e, args) -> {
            e.getCommandLine().getErr().println("error: " + e.getMessage());
            e.getCommandLine().getErr().println("try: java -jar gateway.jar " + e.getCommandLine().getCommandName()
                    .replace("gateway.jar", "").trim() + " --help");
            return USAGE;
        });
        return cli;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            final String v = GatewayCommand.class.getPackage().getImplementationVersion();
            return new String[] {"gateway " + (v == null ? "development build" : v)};
        }
    }
}
