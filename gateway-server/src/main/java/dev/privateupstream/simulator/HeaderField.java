package dev.privateupstream.simulator;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One HTTP header line, name as written and value without surrounding whitespace.
 */
public record HeaderField(String name, String value) {

    public HeaderField {
        requireNonNull(name, "name");
        requireNonNull(value, "value");
        if (name.isEmpty() || name.chars().anyMatch(c -> c <= ' ' || c == ':' || c >= 0x7F)) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: an HTTP token)");
        }
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("value of " + name + ": contains CR or LF (expected: one line)");
        }
    }

    /** The first value of {@code name} (case-insensitive) in {@code fields}, or {@code null}. */
    static String first(List<HeaderField> fields, String name) {
        for (HeaderField field : fields) {
            if (field.name.equalsIgnoreCase(name)) {
                return field.value;
            }
        }
        return null;
    }

    /** Every value of {@code name} (case-insensitive) in {@code fields}, in order. */
    static List<String> all(List<HeaderField> fields, String name) {
        return fields.stream().filter(f -> f.name.equalsIgnoreCase(name)).map(HeaderField::value).toList();
    }

    @Override
    public String toString() {
        return name + ": " + value;
    }
}
