package dev.privateupstream.cli;

import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.store.EndpointStore;
import dev.privateupstream.store.StoreUnavailableException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --config FILE}, shared by the commands that read a configuration, and its loading with every
 * error printed as {@code FILE:LINE: key.path: message}.
 */
final class ConfigOption {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "gateway.yaml to use")
    Path file;

    /**
     * The loaded configuration with the endpoints in force in its store (read once from etcd, SPEC §10), or
     * {@code null} after printing every error, or why the store did not answer, to {@code err}.
     */
    GatewayConfig loadWithEndpoints(PrintWriter err) {
        final GatewayConfig loaded = load(err);
        if (loaded == null || loaded.etcd() == null) {
            return loaded;
        }
        final ConfigLoader loader = ConfigLoader.fromSystemEnvironment();
        try (EndpointStore store = EndpointStore.open(loaded, loader)) {
            return loaded.withEndpoints(store.read(loaded.upstreams()).endpoints());
        } catch (ConfigException e) {
            printErrors(err, e, loaded.endpointStoreName());
        } catch (StoreUnavailableException e) {
            err.println("error: " + e.getMessage() + " (check sharedPrivateEndpoints.etcd.endpoints in " + file
                    + ", and that the cluster has quorum)");
            err.flush();
        } catch (IllegalStateException e) {
            err.println("error: " + e.getMessage() + " (check sharedPrivateEndpoints.etcd in " + file
                    + ": username, password and tls)");
            err.flush();
        }
        return null;
    }

    static void printErrors(PrintWriter err, ConfigException e, Object where) {
        for (ConfigError error : e.errors()) {
            err.println(error);
        }
        err.println(e.errors().size() + (e.errors().size() == 1 ? " error" : " errors") + " in " + where);
        err.flush();
    }

    /** The loaded configuration, or {@code null} after printing every error to {@code err}. */
    GatewayConfig load(PrintWriter err) {
        return load(err, ConfigLoader.fromSystemEnvironment());
    }

    /**
     * The configuration loaded by {@code loader}, or {@code null} after printing every error to {@code err}.
     * A loader that goes on to reload the files should be the one that loaded them: it remembers the
     * endpoints file's items, so that its first reload parses only what changed.
     */
    GatewayConfig load(PrintWriter err, ConfigLoader loader) {
        try {
            return loader.load(file);
        } catch (ConfigException e) {
            printErrors(err, e, file);
            return null;
        }
    }
}
