package dev.privateupstream.cli;

import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.EndpointsFile;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.LocalHost;
import dev.privateupstream.store.AuditRecord;
import dev.privateupstream.store.EndpointStore;
import dev.privateupstream.store.StoreConflictException;
import dev.privateupstream.store.StoreUnavailableException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
    /** SPEC §12: an import is a change like the API's, audited on the same log. */
    private static final Logger auditLogger = LoggerFactory.getLogger("gateway.audit");

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
                final List<SharedPrivateEndpoint> before = setBefore(store, loaded, err);
                final long revision = store.replace(endpoints);
                out.printf("imported %d endpoints from %s into %s (revision %d)%n", endpoints.size(), file,
                        store.describe(), revision);
                out.flush();
                audit(store, loaded, before, endpoints, err);
                return 0;
            } catch (StoreUnavailableException | StoreConflictException | IOException | IllegalStateException e) {
                err.println("error: " + e.getMessage() + "; nothing imported");
                err.flush();
                return GatewayCommand.USAGE;
            }
        }

        /** The set the import replaces, for the audit's statusBefore; {@code null} when it cannot be read whole. */
        private static List<SharedPrivateEndpoint> setBefore(EndpointStore store, GatewayConfig loaded,
                PrintWriter err) throws StoreUnavailableException {
            try {
                return store.read(loaded.upstreams()).endpoints();
            } catch (ConfigException e) {
                // An invalid set is what an import often repairs: import anyway, audited without statusBefore.
                err.println("note: the set in the store is not valid as it is; the audit records of this import "
                        + "carry no statusBefore");
                return null;
            }
        }

        /**
         * One {@code import} record per endpoint the import wrote or removed, written after the import committed
         * (the store has no transaction spanning both); the actor is the operating-system user running the
         * command, as no admin token is involved.
         */
        private static void audit(EndpointStore store, GatewayConfig loaded, List<SharedPrivateEndpoint> before,
                List<SharedPrivateEndpoint> imported, PrintWriter err) {
            final Map<String, SharedPrivateEndpoint> previous = new HashMap<>();
            if (before != null) {
                before.forEach(e -> previous.put(e.name().toLowerCase(Locale.ROOT), e));
            }
            final Instant now = Instant.now();
            final String actor = System.getProperty("user.name", "store-import");
            final String replica = loaded.etcd() != null ? loaded.etcd().replicaId() : LocalHost.name();
            final List<AuditRecord> records = new ArrayList<>();
            for (SharedPrivateEndpoint endpoint : imported) {
                final SharedPrivateEndpoint old = previous.remove(endpoint.name().toLowerCase(Locale.ROOT));
                records.add(new AuditRecord(now, actor, replica, AuditRecord.Action.IMPORT, endpoint.name(),
                        old == null ? null : old.status(), endpoint.status(), endpoint.description()));
            }
            for (SharedPrivateEndpoint removed : previous.values()) {
                records.add(new AuditRecord(now, actor, replica, AuditRecord.Action.IMPORT, removed.name(),
                        removed.status(), null, removed.description()));
            }
            for (AuditRecord record : records) {
                auditLogger.info("{}", record.toJsonLine());
                try {
                    store.keepAudit(record).get(30, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    err.println("warning: the audit record of '" + record.endpoint() + "' was not kept in the store ("
                            + e + "); the import stands and the record is on the log gateway.audit");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            err.flush();
        }
    }
}
