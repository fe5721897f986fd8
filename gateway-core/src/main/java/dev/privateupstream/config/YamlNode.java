package dev.privateupstream.config;

import java.util.List;

/**
 * A YAML value that remembers the line it starts on. Jackson's own tree drops locations, and every
 * configuration error must name its line, hence this small tree of our own.
 */
sealed interface YamlNode permits YamlNode.Scalar, YamlNode.Sequence, YamlNode.Mapping {

    /** The 1-based line the value starts on. */
    int line();

    /** How the value reads in a message: {@code a list}, {@code a mapping}, {@code the value 'x'}. */
    String describe();

    /**
     * A single value, as written and before {@code ${NAME}} substitution.
     *
     * @param text the text, or {@code null} for a YAML null ({@code ~}, {@code null} or nothing)
     */
    record Scalar(String text, int line) implements YamlNode {
        @Override
        public String describe() {
            return text == null ? "an empty value" : "the value '" + text + "'";
        }
    }

    /** A list, in file order. */
    record Sequence(List<YamlNode> items, int line) implements YamlNode {
        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String describe() {
            return "a list";
        }
    }

    /** A mapping, in file order, each key once (the tree reader reports and drops repeated keys). */
    record Mapping(List<Entry> entries, int line) implements YamlNode {
        public Mapping {
            entries = List.copyOf(entries);
        }

        /** The entry of {@code key}, or {@code null}. */
        Entry get(String key) {
            for (Entry e : entries) {
                if (e.key().equals(key)) {
                    return e;
                }
            }
            return null;
        }

        @Override
        public String describe() {
            return "a mapping";
        }
    }

    /** One key of a mapping, with the line of the key itself. */
    record Entry(String key, int keyLine, YamlNode value) {
    }
}
