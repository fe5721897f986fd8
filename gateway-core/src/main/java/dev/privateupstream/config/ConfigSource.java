package dev.privateupstream.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One file being read: turns its {@link YamlNode}s into substituted, typed values and reports every
 * problem, located, to the load's {@link ConfigErrors}.
 *
 * <p>Methods return {@code null} both for an absent value and for an invalid one; an invalid one has
 * been reported, so callers tell the two apart with {@link ConfigErrors#size()} only when they must say
 * "missing".
 */
final class ConfigSource {
    private final Path file;
    private final VariableSubstitution variables;
    private final ConfigErrors errors;

    ConfigSource(Path file, VariableSubstitution variables, ConfigErrors errors) {
        this.file = file;
        this.variables = variables;
        this.errors = errors;
    }

    Path file() {
        return file;
    }

    ConfigErrors errors() {
        return errors;
    }

    void error(int line, String keyPath, String message) {
        errors.add(file, line, keyPath, message);
    }

    /**
     * The value's text after {@code ${NAME}} substitution; {@code null} when the value is a YAML null,
     * becomes empty, is not a single value, or names an unset variable (the last two reported). An empty
     * value counts as absent so that {@code ${X:-}} falls back to the key's default.
     */
    String text(YamlNode node, String keyPath) {
        if (!(node instanceof YamlNode.Scalar scalar)) {
            error(node.line(), keyPath, "expected a single value, not " + node.describe());
            return null;
        }
        if (scalar.text() == null) {
            return null;
        }
        try {
            String text = variables.apply(scalar.text());
            return text.isEmpty() ? null : text;
        } catch (IllegalArgumentException e) {
            error(node.line(), keyPath, e.getMessage());
            return null;
        }
    }

    /** The value typed by {@code parser}, whose {@link IllegalArgumentException} message is reported. */
    <T> T typed(YamlNode node, String keyPath, Function<String, T> parser) {
        String text = text(node, keyPath);
        if (text == null) {
            return null;
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            error(node.line(), keyPath, e.getMessage());
            return null;
        }
    }

    /**
     * The entries of a list, each typed by {@code parser}. A single value is read as a comma-separated
     * list, so that a list can come from one environment variable. Entries are trimmed and empty ones
     * dropped ({@code ${OPTIONAL_KEY:-}}); invalid ones are reported and left out.
     */
    <T> List<Located<T>> list(YamlNode node, String keyPath, Function<String, T> parser) {
        List<Located<T>> values = new ArrayList<>();
        if (node instanceof YamlNode.Sequence sequence) {
            List<YamlNode> items = sequence.items();
            for (int i = 0; i < items.size(); i++) {
                YamlNode item = items.get(i);
                String itemPath = keyPath + '[' + i + ']';
                String text = text(item, itemPath);
                if (text != null) {
                    addEntry(values, text.trim(), itemPath, item.line(), parser);
                }
            }
        } else if (node instanceof YamlNode.Scalar) {
            String text = text(node, keyPath);
            if (text != null) {
                String[] parts = text.split(",", -1);
                for (int i = 0; i < parts.length; i++) {
                    addEntry(values, parts[i].trim(), keyPath + '[' + i + ']', node.line(), parser);
                }
            }
        } else {
            error(node.line(), keyPath, "expected a list, not " + node.describe());
        }
        return values;
    }

    private <T> void addEntry(List<Located<T>> values, String text, String keyPath, int line,
                              Function<String, T> parser) {
        if (text.isEmpty()) {
            return;
        }
        try {
            values.add(new Located<>(parser.apply(text), keyPath, line));
        } catch (IllegalArgumentException e) {
            error(line, keyPath, e.getMessage());
        }
    }

    /**
     * The items of a list of mappings with their key paths ({@code upstreams[0]}, {@code [2]}); empty,
     * with the problem reported, when the node is not a list.
     */
    List<Located<YamlNode>> items(YamlNode node, String keyPath, String expected) {
        if (!(node instanceof YamlNode.Sequence sequence)) {
            error(node.line(), keyPath.isEmpty() ? YamlTree.DOCUMENT : keyPath,
                    "expected " + expected + ", not " + node.describe());
            return List.of();
        }
        List<Located<YamlNode>> items = new ArrayList<>();
        for (int i = 0; i < sequence.items().size(); i++) {
            YamlNode item = sequence.items().get(i);
            items.add(new Located<>(item, keyPath + '[' + i + ']', item.line()));
        }
        return items;
    }
}
