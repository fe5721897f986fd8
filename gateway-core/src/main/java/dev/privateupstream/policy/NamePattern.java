package dev.privateupstream.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * A SignalR upstream pattern as in the service's upstream settings: {@code *}, one name, or a comma list
 * (SPEC §4). Names compare case-insensitively: the service's own matching is not documented, and an
 * operator who writes {@code chat} means the hub however a client spells it.
 */
public final class NamePattern {
    private static final NamePattern ANY = new NamePattern(null, "*");

    private final String[] names;
    private final String text;

    private NamePattern(String[] names, String text) {
        this.names = names;
        this.text = text;
    }

    /** The pattern that matches every value, present or absent. */
    public static NamePattern any() {
        return ANY;
    }

    /**
     * Parses a pattern; {@code null}, empty or {@code *} match anything.
     *
     * @throws IllegalArgumentException on an empty entry in a list, such as {@code "a,,b"}
     */
    public static NamePattern parse(String text) {
        if (text == null || text.isBlank() || text.trim().equals("*")) {
            return ANY;
        }
        final List<String> names = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            final String name = part.trim();
            if (name.isEmpty()) {
                throw new IllegalArgumentException("pattern: '" + text + "' has an empty entry (expected *, a name or a comma list of names)");
            }
            if (name.equals("*")) {
                return ANY;
            }
            names.add(name);
        }
        return new NamePattern(names.toArray(new String[0]), String.join(",", names));
    }

    public boolean matchesAny() {
        return names == null;
    }

    /** Whether the value matches; an absent value matches only {@code *}. */
    public boolean matches(CharSequence value) {
        if (names == null) {
            return true;
        }
        if (value == null) {
            return false;
        }
        for (String name : names) {
            if (equalsIgnoreCase(name, value)) {
                return true;
            }
        }
        return false;
    }

    static boolean equalsIgnoreCase(String a, CharSequence b) {
        return b.length() == a.length() && prefixEqualsIgnoreCase(a, b);
    }

    /** Whether {@code b} starts with {@code a}, ignoring case, without allocating. */
    static boolean prefixEqualsIgnoreCase(String a, CharSequence b) {
        final int n = a.length();
        if (b.length() < n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            final char x = a.charAt(i);
            final char y = b.charAt(i);
            if (x != y && !sameLetterIgnoringCase(x, y)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether two different chars are one letter in two cases. ASCII, nearly every host and hub name, is
     * decided with a bit test; only other chars pay for {@link Character#toLowerCase(char)}.
     */
    private static boolean sameLetterIgnoringCase(char x, char y) {
        if ((x | y) < 0x80) {
            final int lx = x | 0x20;
            return lx == (y | 0x20) && lx >= 'a' && lx <= 'z';
        }
        return Character.toLowerCase(x) == Character.toLowerCase(y);
    }

    @Override
    public String toString() {
        return text;
    }
}
