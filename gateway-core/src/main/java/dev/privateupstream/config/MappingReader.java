package dev.privateupstream.config;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Reads the keys of one YAML mapping: reports unknown keys when it is made, then hands out each key's
 * value substituted and typed, with the key path and line of every problem.
 */
final class MappingReader {
    private final ConfigSource source;
    private final String path;
    private final YamlNode.Mapping mapping;
    private final int line;

    private MappingReader(ConfigSource source, String path, YamlNode.Mapping mapping, int line) {
        this.source = source;
        this.path = path;
        this.mapping = mapping;
        this.line = line;
    }

    /**
     * A reader over {@code node}, which must be a mapping; keys not in {@code keys} are reported. When
     * {@code node} is not a mapping, that is reported and the result is {@code null}: reading its keys
     * would only add "missing" errors that are not the real problem.
     */
    static MappingReader of(ConfigSource source, YamlNode node, String path, List<String> keys) {
        return of(source, node, path, keys, node.line());
    }

    private static MappingReader of(ConfigSource source, YamlNode node, String path, List<String> keys, int line) {
        String where = path.isEmpty() ? YamlTree.DOCUMENT : path;
        if (!(node instanceof YamlNode.Mapping mapping)) {
            source.error(node.line(), where, "expected a mapping with the keys " + String.join(", ", keys)
                    + ", not " + node.describe());
            return null;
        }
        for (YamlNode.Entry entry : mapping.entries()) {
            if (!keys.contains(entry.key())) {
                String suggestion = closest(entry.key(), keys);
                source.error(entry.keyLine(), childPath(path, entry.key()),
                        "unknown key (expected one of: " + String.join(", ", keys) + ")"
                        + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?"));
            }
        }
        return new MappingReader(source, path, mapping, line);
    }

    ConfigSource source() {
        return source;
    }

    String path() {
        return path;
    }

    /**
     * The line errors about the mapping as a whole go to: the line of the key that holds it
     * ({@code tls:}), or where it starts when it is a list item or the document.
     */
    int line() {
        return line;
    }

    String path(String key) {
        return childPath(path, key);
    }

    /** The line of {@code key}, or of the mapping when the key is absent. */
    int line(String key) {
        YamlNode.Entry entry = mapping.get(key);
        return entry == null ? line : entry.keyLine();
    }

    /** Whether {@code key} is present with a value that is not a YAML null. */
    boolean has(String key) {
        YamlNode.Entry entry = mapping.get(key);
        return entry != null && !(entry.value() instanceof YamlNode.Scalar s && s.text() == null);
    }

    /** The substituted text of {@code key}, or {@code null} when absent, empty or invalid (reported). */
    String text(String key) {
        return has(key) ? source.text(mapping.get(key).value(), path(key)) : null;
    }

    /** The value of {@code key} typed by {@code parser}, or {@code fallback} when absent or invalid. */
    <T> T value(String key, T fallback, Function<String, T> parser) {
        T value = has(key) ? source.typed(mapping.get(key).value(), path(key), parser) : null;
        return value == null ? fallback : value;
    }

    /** Like {@link #value} with no fallback, keeping the place the value was read from. */
    <T> Located<T> located(String key, Function<String, T> parser) {
        if (!has(key)) {
            return null;
        }
        YamlNode node = mapping.get(key).value();
        T value = source.typed(node, path(key), parser);
        return value == null ? null : new Located<>(value, path(key), node.line());
    }

    /**
     * The value of a required key, or {@code null} when it is invalid (reported) or missing (reported
     * here as {@code missing (expected: <expected>)}).
     */
    <T> Located<T> required(String key, String expected, Function<String, T> parser) {
        int errorsBefore = source.errors().size();
        Located<T> value = located(key, parser);
        if (value == null && source.errors().size() == errorsBefore) {
            source.error(line(key), path(key), "missing (expected: " + expected + ")");
        }
        return value;
    }

    /** The entries of a list-valued key (see {@link ConfigSource#list}); empty when absent. */
    <T> List<Located<T>> list(String key, Function<String, T> parser) {
        return has(key) ? source.list(mapping.get(key).value(), path(key), parser) : List.of();
    }

    /**
     * A reader over the nested mapping of {@code key}, or {@code null} when the key is absent, empty or
     * not a mapping (reported).
     */
    MappingReader section(String key, List<String> keys) {
        if (!has(key)) {
            return null;
        }
        YamlNode.Entry entry = mapping.get(key);
        return of(source, entry.value(), path(key), keys, entry.keyLine());
    }

    /** The items of a list of mappings under {@code key}, or {@code null} when the key is absent or empty. */
    List<Located<YamlNode>> items(String key, String expected) {
        return has(key) ? source.items(mapping.get(key).value(), path(key), expected) : null;
    }

    private static String childPath(String path, String key) {
        return path.isEmpty() ? key : path + '.' + key;
    }

    /** The accepted key a typo most likely meant: same letters in another case, or two edits away. */
    private static String closest(String key, List<String> keys) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : keys) {
            int distance = candidate.equalsIgnoreCase(key) ? 0
                    : distance(key.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** Levenshtein distance; keys are short, so the quadratic table is fine. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
