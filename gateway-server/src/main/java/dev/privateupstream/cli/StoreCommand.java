package dev.privateupstream.cli;

import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.EndpointsFile;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.store.EndpointStore;
import dev.privateupstream.store.StoreConflictException;
import dev.privateupstream.store.StoreUnavailableException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code store export} and {@code store import} (SPEC §10): the endpoint set of the configured store as an
 * endpoints file, and back, whole, in one transaction. Both work with the file store too.
 */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = "Export the endpoints of the configured store as an endpoints file, or replace them with one.",
        footer = {"  java -jar gateway.jar store export --config gateway.yaml > endpoints.yaml",
                "  java -jar gateway.jar store import --config gateway.yaml --file endpoints.yaml"},
        exitCodeList = {"0:done", "2:bad usage, configuration or file, or the store did not answer"},
        subcommands = {StoreCommand.Export.class, StoreCommand.Import.class})
final class StoreCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: export or import");
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Print the endpoint set in force in the store as an endpoints file (YAML).",
            footer = {"  java -jar gateway.jar store export --config gateway.yaml > endpoints.yaml",
                    "  java -jar gateway.jar store export -c gateway.yaml | diff endpoints.yaml -"},
            exitCodeList = {"0:printed", "2:bad usage or configuration, or the store did not answer"})
    static final class Export implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            final GatewayConfig loaded = config.loadWithEndpoints(spec.commandLine().getErr());
            if (loaded == null) {
                return GatewayCommand.USAGE;
            }
            final PrintWriter out = spec.commandLine().getOut();
            out.print(EndpointsFile.render(loaded.endpoints()));
            out.flush();
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Validate an endpoints file and replace the whole set in the store with it, in one "
                    + "transaction.",
            footer = {"  java -jar gateway.jar store import --config gateway.yaml --file endpoints.yaml",
                    "  java -jar gateway.jar store export -c old.yaml > e.yaml && \\",
                    "      java -jar gateway.jar store import -c new.yaml --file e.yaml"},
            exitCodeList = {"0:imported", "2:bad usage, configuration or file (every error printed, nothing "
                    + "imported), or the store did not answer"})
    static final class Import implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--file", required = true, paramLabel = "FILE", description = "the endpoints file to import")
        Path file;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            final PrintWriter out = spec.commandLine().getOut();
            final PrintWriter err = spec.commandLine().getErr();
            final GatewayConfig loaded = config.load(err);
            if (loaded == null) {
                return GatewayCommand.USAGE;
            }
            final ConfigLoader loader = ConfigLoader.fromSystemEnvironment();
            final List<SharedPrivateEndpoint> endpoints;
            try {
                endpoints = loader.loadEndpoints(file, loaded.upstreams());
            } catch (ConfigException e) {
                ConfigOption.printErrors(err, e, file + " (nothing imported)");
                return GatewayCommand.USAGE;
            }
            try (EndpointStore store = EndpointStore.open(loaded, loader)) {
                final long revision = store.replace(endpoints);
                out.printf("imported %d endpoints from %s into %s (revision %d)%n", endpoints.size(), file,
                        store.describe(), revision);
                out.flush();
                return 0;
            } catch (StoreUnavailableException | StoreConflictException | IOException | IllegalStateException e) {
                err.println("error: " + e.getMessage() + "; nothing imported");
                err.flush();
                return GatewayCommand.USAGE;
            }
        }
    }
}
