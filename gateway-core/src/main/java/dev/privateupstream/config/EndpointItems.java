package dev.privateupstream.config;

import java.nio.charset.CharacterCodingException;
import java.util.Arrays;

/**
 * The items of an endpoints file cut apart by their bytes, when the file has the block form the gateway
 * writes ({@link EndpointsFile#render}) and operators usually keep: each item starts with {@code -} in the
 * first column, everything else of it is indented, and between items there are only blank lines and
 * comments. In that form an item's meaning depends on its own lines alone, so an item whose bytes did not
 * change since the last read need not be parsed again ({@link ParsedItems}).
 *
 * <p>Items are ranges of the file's bytes kept in arrays of {@code int}, reused from one read to the next:
 * at 100,000 endpoints an object or a string per item would be millions of objects per reload, alive while
 * it runs, which a young collection catching it must copy (the storm of reloads in benchmarks/README.md).
 * Only the structure's own characters are looked at ({@code -}, space, {@code #}, line feed, tab, carriage
 * return), which UTF-8 never uses inside another character, so the bytes need not be decoded to be cut.
 * Not thread-safe: its owner, {@link ParsedItems}, reads under its lock.
 */
final class EndpointItems {
    private static final byte[] BYTE_ORDER_MARK = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private byte[] bytes = new byte[0];
    private int count;
    private int[] starts = new int[0];
    private int[] ends = new int[0];
    private int[] firstLines = new int[0];
    private int[] hashes = new int[0];
    /** Where the text starts: after a byte order mark, which editors on Windows may write. */
    private int textStart;

    /**
     * Cuts {@code length} bytes of {@code bytes} into items; {@code false} when the text has another form (a
     * flow list, document markers, directives, tabs or carriage returns, anything in the first column that is
     * not an item or a comment, no item at all): such a file is parsed whole. The items refer to
     * {@code bytes}, which the caller keeps unchanged while it uses them.
     */
    boolean split(byte[] bytes, int length) {
        this.bytes = bytes;
        count = 0;
        textStart = startsWith(bytes, length, BYTE_ORDER_MARK) ? BYTE_ORDER_MARK.length : 0;
        int itemStart = -1;
        int itemLine = 0;
        int hash = 0;
        int line = 1;
        int start = textStart;
        // One pass over the bytes, each looked at once: 30 MB at 100,000 endpoints.
        while (start < length) {
            final byte first = bytes[start];
            if (first == '-' && (start + 1 == length || bytes[start + 1] == ' ' || bytes[start + 1] == '\n')) {
                if (itemStart >= 0) {
                    add(itemStart, start, itemLine, hash);
                }
                itemStart = start;
                itemLine = line;
                hash = 0;
            } else if (first != ' ' && first != '#' && first != '\n') {
                return false;
            }
            boolean blank = true;
            int at = start;
            while (at < length) {
                final byte b = bytes[at++];
                hash = 31 * hash + b; // what comes before the first item is hashed for nothing
                if (b == '\n') {
                    break;
                }
                if (b == '\r' || b == '\t') {
                    return false;
                }
                blank &= b == ' ';
            }
            if (first == ' ' && itemStart < 0 && !blank) {
                return false;
            }
            start = at;
            line++;
        }
        if (itemStart < 0) {
            return false;
        }
        add(itemStart, length, itemLine, hash);
        return true;
    }

    int count() {
        return count;
    }

    /** The 1-based line of item {@code i}'s {@code -}. */
    int firstLine(int i) {
        return firstLines[i];
    }

    /** Item {@code i}'s bytes: its lines, each ending with a line feed, with the comments and blank lines after. */
    byte[] copy(int i) {
        return Arrays.copyOfRange(bytes, starts[i], ends[i]);
    }

    /** Whether item {@code i} has exactly the bytes {@code text}. */
    boolean matches(int i, byte[] text) {
        return Arrays.equals(bytes, starts[i], ends[i], text, 0, text.length);
    }

    /** Item {@code i}'s hash: the polynomial of {@code String.hashCode}, over its bytes, the same wherever it is. */
    int hash(int i) {
        return hashes[i];
    }

    /**
     * Item {@code i}'s text, decoded strictly.
     *
     * @throws CharacterCodingException when its bytes are not UTF-8
     */
    String text(int i) throws CharacterCodingException {
        return YamlTree.decode(bytes, starts[i], ends[i] - starts[i]);
    }

    /**
     * Whether what comes before the first item (comments, blank lines) is UTF-8: the items' own bytes are
     * checked when they are parsed, and a file that is not UTF-8 anywhere is refused (parsed whole, which says
     * so).
     */
    boolean headIsText() {
        try {
            YamlTree.decode(bytes, textStart, starts[0] - textStart);
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private void add(int start, int end, int firstLine, int hash) {
        if (count == starts.length) {
            final int capacity = Math.max(16, count * 2);
            starts = Arrays.copyOf(starts, capacity);
            ends = Arrays.copyOf(ends, capacity);
            firstLines = Arrays.copyOf(firstLines, capacity);
            hashes = Arrays.copyOf(hashes, capacity);
        }
        starts[count] = start;
        ends[count] = end;
        firstLines[count] = firstLine;
        hashes[count] = hash;
        count++;
    }

    private static boolean startsWith(byte[] bytes, int length, byte[] prefix) {
        return length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }
}
