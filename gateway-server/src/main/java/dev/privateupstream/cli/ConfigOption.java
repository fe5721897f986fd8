package dev.privateupstream.cli;

import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
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

    /** The loaded configuration, or {@code null} after printing every error to {@code err}. */
    GatewayConfig load(PrintWriter err) {
        try {
            return ConfigLoader.fromSystemEnvironment().load(file);
        } catch (ConfigException e) {
            for (ConfigError error : e.errors()) {
                err.println(error);
            }
            err.println(e.errors().size() + (e.errors().size() == 1 ? " error" : " errors") + " in " + file);
            err.flush();
            return null;
        }
    }
}
