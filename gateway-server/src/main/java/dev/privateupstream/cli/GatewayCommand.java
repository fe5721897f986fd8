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
                StoreCommand.class,
                DemoCommand.class})
public final class GatewayCommand implements Runnable {
    /** Exit status for usage errors and invalid configuration. */
    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: run, validate, explain, send, store or demo");
    }

    /**
     * Netty samples one buffer in this many for its leak detector unless
     * {@code -Dio.netty.leakDetection.samplingInterval} or {@code -Dio.netty.leakDetection.level} says
     * otherwise. Netty's default, 128, records a stack trace for about one request in 30 here, a few
     * percent of the gateway's CPU under load; one in 16,384 still reports a leak on a busy gateway
     * within minutes (tests run the detector at {@code paranoid}).
     */
    static final String LEAK_SAMPLING_INTERVAL = "16384";

    public static void main(String[] args) {
        sparseLeakSampling();
        System.exit(commandLine().execute(args));
    }

    /** Must run before any Netty buffer class is loaded: the detector reads the property once. */
    static void sparseLeakSampling() {
        if (System.getProperty("io.netty.leakDetection.samplingInterval") == null
                && System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.samplingInterval", LEAK_SAMPLING_INTERVAL);
        }
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
