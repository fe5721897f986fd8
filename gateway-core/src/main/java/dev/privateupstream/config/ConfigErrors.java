package dev.privateupstream.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The errors of one load, collected so that an operator sees all of them at once (SPEC §4). Not
 * thread-safe; one instance per load.
 */
final class ConfigErrors {
    private final List<ConfigError> errors = new ArrayList<>();

    void add(Path file, int line, String keyPath, String message) {
        errors.add(new ConfigError(file, line, keyPath, message));
    }

    void add(ConfigError error) {
        errors.add(error);
    }

    int size() {
        return errors.size();
    }

    boolean isEmpty() {
        return errors.isEmpty();
    }

    /**
     * The errors ordered by file (in the order files were read), then line, then key path: the order of
     * discovery follows the checks, not the file, and an operator reads the file top to bottom.
     */
    List<ConfigError> list() {
        Map<Path, Integer> fileOrder = new LinkedHashMap<>();
        for (ConfigError e : errors) {
            fileOrder.putIfAbsent(e.file(), fileOrder.size());
        }
        List<ConfigError> sorted = new ArrayList<>(errors);
        sorted.sort(Comparator.<ConfigError>comparingInt(e -> fileOrder.get(e.file()))
                .thenComparingInt(ConfigError::line)
                .thenComparing(ConfigError::keyPath));
        return List.copyOf(sorted);
    }

    void throwIfAny() throws ConfigException {
        if (!errors.isEmpty()) {
            throw new ConfigException(list());
        }
    }
}
