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
     * One item.
     *
     * @param text its lines, each ending with a line feed (with the comments and blank lines after it)
     * @param firstLine the 1-based line of its {@code -}
     */
    record Item(String text, int firstLine) {
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
                    items.add(new Item(text.substring(itemStart, start), itemLine));
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
        items.add(new Item(text.substring(itemStart), itemLine));
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
