package dev.privateupstream.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads an endpoints file written in the form {@link EndpointsFile} writes straight into the
 * {@link YamlNode} tree the YAML parser would give, or declines: at 100,000 endpoints the general parser
 * takes about a second, most of a reload in which every endpoint changed, while this form is a handful of
 * line shapes.
 *
 * <p>Only what reads the same under every YAML rule is taken: {@code - key: value} opening an item and
 * {@code   key: value} continuing it; values plain (letters, digits, {@code _./-} and single spaces, not
 * starting with a digit, never a word YAML gives a meaning such as {@code null} or {@code yes}), whole
 * numbers, double-quoted with the escapes the writer uses, or a flow list {@code [ a, "b" ]} of such
 * values; whole-line comments and blank lines. Anything else (another indentation, a tab, a trailing
 * space or comment, a repeated key, {@code \r}, single quotes, a nested block, an empty file) declines, and
 * the caller parses the text as YAML, which also reports the errors with their lines: this class never
 * reports an error of its own.
 */
final class WrittenEndpointsForm {
    private static final String ITEM = "- ";
    private static final String CONTINUED = "  ";

    private final String text;
    private int pos;
    private int line;

    private WrittenEndpointsForm(String text) {
        this.text = text;
    }

    /** The document's tree, or {@code null} when the text is not in the written form. */
    static YamlNode.Sequence read(String text) {
        return new WrittenEndpointsForm(text).document();
    }

    private YamlNode.Sequence document() {
        final List<YamlNode> items = new ArrayList<>();
        int firstLine = 0;
        List<YamlNode.Entry> entries = null;
        int itemLine = 0;
        while (pos < text.length()) {
            line++;
            int end = text.indexOf('\n', pos);
            if (end < 0) {
                end = text.length();
            }
            final int start = pos;
            pos = end + 1;
            if (start == end) {
                continue;
            }
            if (text.charAt(start) == '#') {
                if (!printable(start, end)) {
                    return null; // the YAML reader refuses such a character even in a comment
                }
                continue;
            }
            final int keyStart;
            if (text.startsWith(ITEM, start)) {
                if (entries != null) {
                    items.add(new YamlNode.Mapping(entries, itemLine));
                } else {
                    firstLine = line;
                }
                entries = new ArrayList<>(8);
                itemLine = line;
                keyStart = start + ITEM.length();
            } else if (entries != null && text.startsWith(CONTINUED, start)) {
                keyStart = start + CONTINUED.length();
            } else {
                return null;
            }
            if (!entry(keyStart, end, entries)) {
                return null;
            }
        }
        if (entries == null) {
            return null;
        }
        items.add(new YamlNode.Mapping(entries, itemLine));
        return new YamlNode.Sequence(items, firstLine);
    }

    /** Reads {@code key: value} of {@code [from, end)} into {@code entries}; whether it is in the form. */
    private boolean entry(int from, int end, List<YamlNode.Entry> entries) {
        int colon = from;
        while (colon < end && isKeyChar(text.charAt(colon), colon == from)) {
            colon++;
        }
        if (colon == from || colon + 2 > end || text.charAt(colon) != ':' || text.charAt(colon + 1) != ' ') {
            return false;
        }
        final String key = text.substring(from, colon);
        if (EndpointsFile.RESERVED.contains(key.toLowerCase(Locale.ROOT))) {
            return false;
        }
        for (YamlNode.Entry e : entries) {
            if (e.key().equals(key)) {
                return false; // a repeated key: the YAML reader reports it
            }
        }
        final int valueStart = colon + 2;
        final YamlNode value;
        if (valueStart < end && text.charAt(valueStart) == '[') {
            value = flowList(valueStart, end);
        } else {
            final String scalar = scalar(valueStart, end, false);
            value = scalar == null ? null : new YamlNode.Scalar(scalar, line);
        }
        if (value == null) {
            return false;
        }
        entries.add(new YamlNode.Entry(key, line, value));
        return true;
    }

    /** {@code [ a, "b" ]} taking the whole of {@code [from, end)}, or {@code null}. */
    private YamlNode.Sequence flowList(int from, int end) {
        if (text.charAt(end - 1) != ']') {
            return null;
        }
        final List<YamlNode> items = new ArrayList<>(4);
        int i = from + 1;
        final int close = end - 1;
        while (i < close && text.charAt(i) == ' ') {
            i++;
        }
        while (i < close) {
            final int itemEnd = text.charAt(i) == '"' ? quotedEnd(i, close) : flowPlainEnd(i, close);
            if (itemEnd < 0) {
                return null;
            }
            final String item = scalar(i, itemEnd, true);
            if (item == null) {
                return null;
            }
            items.add(new YamlNode.Scalar(item, line));
            i = itemEnd;
            if (text.startsWith(", ", i) && i + 2 < close) {
                i += 2;
            } else if (text.charAt(i) == ' ' && i + 1 == close) {
                i++;
            } else if (i != close) {
                return null;
            }
        }
        return new YamlNode.Sequence(items, line);
    }

    /** The end of the plain item starting at {@code from} inside a flow list: before {@code ,} or {@code " ]"}. */
    private int flowPlainEnd(int from, int close) {
        int i = from;
        while (i < close && text.charAt(i) != ',' && !(text.charAt(i) == ' ' && i + 1 == close)) {
            i++;
        }
        return i;
    }

    /** The index after the closing quote of the double-quoted value starting at {@code from}, or -1. */
    private int quotedEnd(int from, int limit) {
        for (int i = from + 1; i < limit; i++) {
            final char c = text.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i + 1;
            }
        }
        return -1;
    }

    /** The value of {@code [from, end)} as YAML reads it, or {@code null} when not plainly in the form. */
    private String scalar(int from, int end, boolean inList) {
        if (from >= end) {
            return null;
        }
        final char first = text.charAt(from);
        if (first == '"') {
            return end - from >= 2 && text.charAt(end - 1) == '"' ? unquote(from + 1, end - 1) : null;
        }
        if (first >= '0' && first <= '9') {
            return inList ? prefix(from, end) : wholeNumber(from, end);
        }
        return plain(from, end);
    }

    /** Letters, digits, {@code _./-}, single inner spaces; starts with a letter, {@code _} or {@code /}. */
    private String plain(int from, int end) {
        final char first = text.charAt(from);
        if (!(isLetter(first) || first == '_' || first == '/')) {
            return null;
        }
        for (int i = from; i < end; i++) {
            final char c = text.charAt(i);
            if (c == ' ') {
                if (i + 1 == end || text.charAt(i + 1) == ' ') {
                    return null;
                }
            } else if (!(isLetter(c) || isDigit(c) || c == '_' || c == '.' || c == '/' || c == '-')) {
                return null;
            }
        }
        final String value = text.substring(from, end);
        return EndpointsFile.RESERVED.contains(value.toLowerCase(Locale.ROOT)) ? null : value;
    }

    /** {@code 0} or a number without a leading zero, at most 18 digits. */
    private String wholeNumber(int from, int end) {
        if (end - from > 18 || (text.charAt(from) == '0' && end - from > 1)) {
            return null;
        }
        for (int i = from; i < end; i++) {
            if (!isDigit(text.charAt(i))) {
                return null;
            }
        }
        return text.substring(from, end);
    }

    /** An IPv4 prefix as the writer leaves it plain: digits and dots, one {@code /}, digits. */
    private String prefix(int from, int end) {
        final int slash = text.indexOf('/', from);
        if (slash <= from || slash >= end - 1) {
            return null;
        }
        for (int i = from; i < end; i++) {
            final char c = text.charAt(i);
            if (!(isDigit(c) || (c == '.' && i < slash) || i == slash)) {
                return null;
            }
        }
        return text.substring(from, end);
    }

    /** The inside of a double-quoted value with {@code \" \\ \n \t \r \\uXXXX}; any other escape declines. */
    private String unquote(int from, int end) {
        final StringBuilder out = new StringBuilder(end - from);
        for (int i = from; i < end; i++) {
            final char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && printable(i, i + 1)) {
                out.append(c).append(text.charAt(++i)); // a pair
                continue;
            }
            if (c == '"' || !printable(i, i + 1)) {
                return null;
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i >= end) {
                return null;
            }
            switch (text.charAt(i)) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'u' -> {
                    if (i + 5 > end) {
                        return null;
                    }
                    int code = 0;
                    for (int k = i + 1; k <= i + 4; k++) {
                        final int digit = Character.digit(text.charAt(k), 16);
                        if (digit < 0) {
                            return null;
                        }
                        code = code * 16 + digit;
                    }
                    out.append((char) code);
                    i += 4;
                }
                default -> {
                    return null;
                }
            }
        }
        return out.toString();
    }

    /**
     * Whether {@code [from, end)} holds only characters YAML allows in a stream and reads as no line break:
     * tab, printable ASCII and the printable rest of Unicode but NEL and the line and paragraph separators
     * (line breaks to YAML 1.1), surrogates only in pairs (a high one at {@code end - 1} is checked against
     * the character after it).
     */
    private boolean printable(int from, int end) {
        for (int i = from; i < end; i++) {
            final char c = text.charAt(i);
            if (c == '\t' || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff && c != 0x2028 && c != 0x2029)
                    || (c >= 0xe000 && c <= 0xfffd)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
                continue;
            }
            return false;
        }
        return true;
    }

    private static boolean isKeyChar(char c, boolean first) {
        return isLetter(c) || (!first && isDigit(c));
    }

    private static boolean isLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
