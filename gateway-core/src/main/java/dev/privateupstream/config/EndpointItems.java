package dev.privateupstream.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The items of an endpoints file cut apart by their text, when the file has the block form the gateway
 * writes ({@link EndpointsFile#render}) and operators usually keep: each item starts with {@code -} in the
 * first column, everything else of it is indented, and between items there are only blank lines and
 * comments. In that form an item's meaning depends on its own lines alone, so an item whose text did not
 * change since the last read need not be parsed again ({@link ParsedItems}).
 */
final class EndpointItems {
    /**
     * One item: its lines in the file's text, each ending with a line feed (with the comments and blank lines
     * after it), and the 1-based line of its {@code -}.
     *
     * <p>Kept as a range of the text, not a string of its own: at 100,000 endpoints the copies would be
     * another 30 MB per reload, alive while it runs. It is looked up by text in maps keyed by {@code String}
     * without making one ({@link #equals} accepts the string of the same text: the direction
     * {@code HashMap.get} asks in).
     */
    static final class Item {
        private final String source;
        private final int start;
        private final int end;
        private final int firstLine;
        private final int hash;

        Item(String source, int start, int end, int firstLine) {
            this.source = source;
            this.start = start;
            this.end = end;
            this.firstLine = firstLine;
            int h = 0;
            for (int i = start; i < end; i++) {
                h = 31 * h + source.charAt(i); // String.hashCode's formula, so the map finds the string
            }
            hash = h;
        }

        /** A copy of the item's text. */
        String text() {
            return source.substring(start, end);
        }

        int firstLine() {
            return firstLine;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        /** Equal to a {@code String} of the same text, and to an item of the same text and line. */
        @Override
        public boolean equals(Object other) {
            if (other instanceof String text) {
                return text.length() == end - start && source.regionMatches(start, text, 0, end - start);
            }
            return other instanceof Item item && item.firstLine == firstLine && item.hash == hash
                    && item.end - item.start == end - start
                    && source.regionMatches(start, item.source, item.start, end - start);
        }

        @Override
        public String toString() {
            return "Item[line " + firstLine + ": " + text() + "]";
        }
    }

    private EndpointItems() {
    }

    /**
     * The items of {@code text}, or {@code null} when the text has another form (a flow list, document
     * markers, directives, tabs or carriage returns at the start of a line, anything in the first column
     * that is not an item or a comment): such a file is parsed whole.
     */
    static List<Item> split(String text) {
        final List<Item> items = new ArrayList<>();
        int itemStart = -1;
        int itemLine = 0;
        int line = 1;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            end = end < 0 ? text.length() : end + 1;
            final char first = text.charAt(start);
            final boolean itemBegins = first == '-' && (end - start == 1 || text.charAt(start + 1) == ' '
                    || text.charAt(start + 1) == '\n');
            if (itemBegins) {
                if (itemStart >= 0) {
                    items.add(new Item(text, itemStart, start, itemLine));
                }
                itemStart = start;
                itemLine = line;
            } else if (first == ' ') {
                if (itemStart < 0 && !blank(text, start, end)) {
                    return null;
                }
            } else if (first != '#' && first != '\n') {
                return null;
            }
            start = end;
            line++;
        }
        if (itemStart < 0 || text.indexOf('\r') >= 0 || text.indexOf('\t') >= 0) {
            return null;
        }
        items.add(new Item(text, itemStart, text.length(), itemLine));
        return items;
    }

    private static boolean blank(String text, int start, int end) {
        for (int i = start; i < end; i++) {
            if (text.charAt(i) != ' ' && text.charAt(i) != '\n') {
                return false;
            }
        }
        return true;
    }
}
