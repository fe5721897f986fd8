package dev.privateupstream.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A typed value with the place it was read from, kept when a later check (duplicates across entries)
 * must point back at it.
 *
 * @param keyPath for example {@code [2].privateIps[1]}
 * @param line 1-based line, or 0 when the value did not come from a file
 */
record Located<T>(T value, String keyPath, int line) {

    /** The bare values, in order. */
    static <T> List<T> values(List<Located<T>> located) {
        List<T> values = new ArrayList<>(located.size());
        for (Located<T> l : located) {
            values.add(l.value());
        }
        return values;
    }

    /** The same value under key path prefix {@code to} instead of {@code from}, {@code lineDelta} lines down. */
    Located<T> moved(String from, String to, int lineDelta) {
        final String path = keyPath.startsWith(from) ? to + keyPath.substring(from.length()) : keyPath;
        return new Located<>(value, path, line == 0 ? 0 : line + lineDelta);
    }

    /** {@code [2].privateIps[1], line 7}, or only the key path when there is no line. */
    String where() {
        return line > 0 ? keyPath + ", line " + line : keyPath;
    }
}
