package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;

/**
 * One configuration error, located: {@code FILE:LINE: key.path: message} (SPEC §4).
 *
 * @param file the file the error is in
 * @param line 1-based line, or 0 when the error has no line (a missing file)
 * @param keyPath the key path, for example {@code upstreams[0].url} or {@code [2].privateIps[1]}
 * @param message what is wrong and what was expected
 */
public record ConfigError(Path file, int line, String keyPath, String message) {
    public ConfigError {
        requireNonNull(file, "file");
        requireNonNull(keyPath, "keyPath");
        requireNonNull(message, "message");
    }

    /** Every error on a line of its own, as {@code validate} prints them. */
    public static String describeAll(List<ConfigError> errors) {
        final StringBuilder out = new StringBuilder();
        for (ConfigError error : errors) {
            out.append(out.length() == 0 ? "" : "\n").append(error);
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return file + ":" + line + ": " + keyPath + ": " + message;
    }
}
