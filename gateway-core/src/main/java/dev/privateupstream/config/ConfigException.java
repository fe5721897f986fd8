package dev.privateupstream.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Every error found in one load of the configuration, all at once (SPEC §4).
 */
public final class ConfigException extends Exception {
    private final List<ConfigError> errors;

    public ConfigException(List<ConfigError> errors) {
        super(errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("errors: empty (expected at least one)");
        }
        this.errors = List.copyOf(errors);
    }

    public List<ConfigError> errors() {
        return errors;
    }
}
