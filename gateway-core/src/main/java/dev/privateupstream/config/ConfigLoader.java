package dev.privateupstream.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * Reads {@code gateway.yaml} and the endpoints file it names into a validated {@link GatewayConfig}.
 * STUB: implemented by the config work package.
 */
public final class ConfigLoader {
    private final Map<String, String> environment;

    /** A loader that substitutes {@code ${NAME}} from the given environment. */
    public ConfigLoader(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** A loader over {@link System#getenv()}. */
    public static ConfigLoader fromSystemEnvironment() {
        return new ConfigLoader(System.getenv());
    }

    /**
     * Loads and validates both files.
     *
     * @throws ConfigException with every error, each located by file, line and key path
     */
    public GatewayConfig load(Path gatewayYaml) throws ConfigException {
        throw new UnsupportedOperationException("stub");
    }
}
