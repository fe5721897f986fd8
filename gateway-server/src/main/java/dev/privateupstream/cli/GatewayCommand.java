package dev.privateupstream.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar gateway.jar}: the entry point. Usage errors exit with status 2 and a message that
 * names what is wrong (SPEC §3). Every command's {@code --help} reads like a manual page: description,
 * options, examples and exit status.
 */
@Command(name = "gateway.jar", mixinStandardHelpOptions = true, versionProvider = GatewayCommand.Version.class,
        description = "A reverse proxy that admits only calls from approved shared private endpoints.",
        subcommands = {RunCommand.class, ValidateCommand.class, ExplainCommand.class, SendCommand.class,
                StoreCommand.class, DemoCommand.class, CompletionCommand.class},
        footer = {"  java -jar gateway.jar validate --config gateway.yaml",
                "  java -jar gateway.jar run --config gateway.yaml",
                "  java -jar gateway.jar explain --config gateway.yaml --source 10.1.0.4",
                "  java -jar gateway.jar demo",
                "  source <(java -jar gateway.jar completion)",
                "  java -jar gateway.jar COMMAND --help"},
        exitCodeList = {"0:success", "1:explain: denied; send: a status other than 2xx",
                "2:bad usage or configuration"})
public final class GatewayCommand implements Runnable {
    /** Exit status for usage errors and invalid configuration. */
    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a command is required: run, validate, explain, send, store, demo or completion");
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
        manualLayout(cli, new Version());
        cli.setExitCodeExceptionMapper(e -> USAGE);
        cli.setParameterExceptionHandler((e, args) -> {
            e.getCommandLine().getErr().println("error: " + e.getMessage());
            e.getCommandLine().getErr().println("try: java -jar gateway.jar " + e.getCommandLine().getCommandName()
                    .replace("gateway.jar", "").trim() + " --help");
            return USAGE;
        });
        return cli;
    }

    /**
     * The same sections, in the same words, for every command (man(1)'s order), and the root's
     * {@code --version} for every command that has the option.
     */
    private static void manualLayout(CommandLine command, CommandLine.IVersionProvider version) {
        final CommandLine.Model.UsageMessageSpec usage = command.getCommandSpec().usageMessage();
        usage.descriptionHeading("%nDescription:%n")
                .parameterListHeading("%nParameters:%n")
                .optionListHeading("%nOptions:%n")
                .commandListHeading("%nCommands:%n")
                .exitCodeListHeading("%nExit status:%n")
                .footerHeading("%nExamples:%n");
        command.getCommandSpec().versionProvider(version);
        command.getSubcommands().values().forEach(sub -> manualLayout(sub, version));
    }

    /** {@code --version}: the gateway's, and the Java and Netty it runs on. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "gateway " + gatewayVersion(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ", "
                        + System.getProperty("java.vm.name") + ")",
                "Netty " + nettyVersion()};
        }

        /** The Maven project's version, written into {@code version.properties} when the jar is built. */
        static String gatewayVersion() {
            final Properties properties = new Properties();
            try (InputStream in = GatewayCommand.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            } catch (IOException e) {
                return "unknown (" + e.getMessage() + ")";
            }
            return properties.getProperty("version", "unknown (version.properties is missing)");
        }

        /**
         * netty-common's version; every Netty module has the same one (our BOM), and the runnable jar keeps the
         * version file of only one of them, so any will do when netty-common's is not there.
         */
        static String nettyVersion() {
            final Map<String, io.netty.util.Version> modules = io.netty.util.Version.identify();
            final io.netty.util.Version common = modules.get("netty-common");
            if (common != null) {
                return common.artifactVersion();
            }
            return modules.values().stream().findFirst().map(io.netty.util.Version::artifactVersion)
                    .orElse("unknown");
        }
    }
}
