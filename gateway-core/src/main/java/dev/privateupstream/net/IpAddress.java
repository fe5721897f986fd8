package dev.privateupstream.net;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An immutable IPv4 or IPv6 address.
 *
 * <p>An IPv4-mapped IPv6 address ({@code ::ffff:10.0.0.4}) is normalised to the IPv4 address at
 * construction, so it matches IPv4 rules and prints as dotted IPv4 (SPEC §4, §6).
 *
 * <p>Parsing is a hand-written scan over the text: it runs for every connection and every forwarded
 * header entry, so it allocates nothing but the result and never resolves a host name.
 */
public final class IpAddress implements Comparable<IpAddress> {

    /** The upper 32 bits of the low word of an IPv4-mapped address: {@code ::ffff:0:0/96}. */
    private static final long MAPPED_MARKER = 0xffffL;

    /** Dotted IPv4 is at most 15 characters; IPv6 at most 45 (six full groups and an IPv4 tail). */
    private static final int MAX_TEXT_LENGTH = 45;

    /** How much of a rejected text an error message quotes; the text may come from a header. */
    private static final int MAX_QUOTED_LENGTH = 64;

    private static final String EXPECTED = "expected IPv4 like 10.0.0.4 or IPv6 like fd00::4";

    private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

    private final boolean v4;
    private final int v4Bits;
    private final long high;
    private final long low;

    /**
     * Canonical text, computed on first use. Racy single-check like {@link String#hashCode()}: every
     * thread computes the same immutable string, so a lost race costs only a recomputation.
     */
    private String canonical;

    private IpAddress(int v4Bits) {
        v4 = true;
        this.v4Bits = v4Bits;
        high = 0;
        low = 0;
    }

    private IpAddress(long high, long low) {
        v4 = false;
        v4Bits = 0;
        this.high = high;
        this.low = low;
    }

    /**
     * Parses IPv4 dotted-quad or IPv6 text (with {@code ::} compression and an optional embedded IPv4
     * tail). No brackets, ports, zone ids or host names.
     *
     * <p>IPv4 parts are decimal without leading zeros: {@code 010.0.0.1} is refused because other
     * parsers read it as octal, so accepting it would let two components disagree about one caller.
     *
     * @throws IllegalArgumentException naming the text and what was expected
     */
    public static IpAddress parse(CharSequence text) {
        requireNonNull(text, "text");
        final IpAddress address = tryParse(text, 0, text.length());
        if (address == null) {
            throw new IllegalArgumentException(invalidMessage(text));
        }
        return address;
    }

    /**
     * Like {@link #parse(CharSequence)}, but returns {@code null} instead of throwing, for hot paths
     * that meet malformed input routinely (forwarded headers) and need no message.
     */
    public static IpAddress tryParse(CharSequence text) {
        requireNonNull(text, "text");
        return tryParse(text, 0, text.length());
    }

    /**
     * Like {@link #tryParse(CharSequence)} on {@code text[start, end)}, so a caller that splits a
     * header such as {@code X-Forwarded-For} need not copy each entry. Whitespace around an entry is
     * the caller's to skip.
     *
     * @throws IndexOutOfBoundsException if the range is not within the text
     */
    public static IpAddress tryParse(CharSequence text, int start, int end) {
        requireNonNull(text, "text");
        Objects.checkFromToIndex(start, end, text.length());
        final int length = end - start;
        if (length <= 0 || length > MAX_TEXT_LENGTH) {
            return null;
        }
        if (indexOf(text, start, end, ':') < 0) {
            final long bits = parseV4(text, start, end);
            return bits < 0 ? null : new IpAddress((int) bits);
        }
        return parseV6(text, start, end);
    }

    /** The address of a JDK {@link InetAddress} (no DNS lookup); an IPv6 scope id is dropped. */
    public static IpAddress of(InetAddress address) {
        requireNonNull(address, "address");
        return ofBytes(address.getAddress());
    }

    /** An address from 4 or 16 network-order bytes. */
    public static IpAddress ofBytes(byte[] bytes) {
        requireNonNull(bytes, "bytes");
        if (bytes.length == 4) {
            return new IpAddress(readInt(bytes, 0));
        }
        if (bytes.length == 16) {
            return ofV6(readLong(bytes, 0), readLong(bytes, 8));
        }
        throw new IllegalArgumentException("bytes.length: " + bytes.length + " (expected: 4 or 16)");
    }

    /** An IPv4 address from its 32 bits. */
    public static IpAddress ofV4(int bits) {
        return new IpAddress(bits);
    }

    /** An IPv6 address from its 128 bits; an IPv4-mapped one becomes IPv4. */
    public static IpAddress ofV6(long high, long low) {
        if (isMapped(high, low)) {
            return new IpAddress((int) low);
        }
        return new IpAddress(high, low);
    }

    /** Whether the 128 bits are an IPv4-mapped address ({@code ::ffff:0:0/96}). */
    static boolean isMapped(long high, long low) {
        return high == 0 && low >>> 32 == MAPPED_MARKER;
    }

    public boolean isV4() {
        return v4;
    }

    /**
     * The 32 bits of an IPv4 address.
     *
     * @throws IllegalStateException if this is an IPv6 address; failing loudly beats handing an
     *         access check the bits of {@code 0.0.0.0}
     */
    public int v4Bits() {
        if (!v4) {
            throw new IllegalStateException("v4Bits() of IPv6 address " + canonical() +
                                            " (expected: an IPv4 address; check isV4() first)");
        }
        return v4Bits;
    }

    /**
     * The upper 64 bits of an IPv6 address. For an IPv4 address, the upper bits of its IPv4-mapped
     * form ({@code 0}).
     */
    public long high() {
        return high;
    }

    /**
     * The lower 64 bits of an IPv6 address. For an IPv4 address, the lower bits of its IPv4-mapped
     * form ({@code 0x0000ffff_xxxxxxxx}).
     */
    public long low() {
        return v4 ? MAPPED_MARKER << 32 | v4Bits & 0xffffffffL : low;
    }

    /** 32 or 128. */
    public int bitLength() {
        return v4 ? 32 : 128;
    }

    public AddressClass addressClass() {
        return v4 ? classOfV4(v4Bits) : classOfV6(high, low);
    }

    private static AddressClass classOfV4(int bits) {
        final int first = bits >>> 24;
        if (first == 10 ||
            (bits & 0xfff00000) == 0xac100000 ||     // 172.16/12
            bits >>> 16 == 0xc0a8 ||                  // 192.168/16
            (bits & 0xffc00000) == 0x64400000) {      // 100.64/10, RFC 6598 shared address space
            return AddressClass.PRIVATE;
        }
        if (first == 127) {
            return AddressClass.LOOPBACK;
        }
        if (bits >>> 16 == 0xa9fe) {                  // 169.254/16
            return AddressClass.LINK_LOCAL;
        }
        return AddressClass.PUBLIC;
    }

    private static AddressClass classOfV6(long high, long low) {
        if (high >>> 57 == 0x7e) {                    // fc00::/7
            return AddressClass.PRIVATE;
        }
        if (high == 0 && low == 1) {
            return AddressClass.LOOPBACK;
        }
        if (high >>> 54 == 0x3fa) {                   // fe80::/10
            return AddressClass.LINK_LOCAL;
        }
        return AddressClass.PUBLIC;
    }

    /** Canonical text: IPv4 dotted; IPv6 per RFC 5952 (lower case, longest zero run compressed, no brackets). */
    public String canonical() {
        String canonical = this.canonical;
        if (canonical == null) {
            canonical = v4 ? v4Text(v4Bits) : v6Text(high, low);
            this.canonical = canonical;
        }
        return canonical;
    }

    public InetAddress toInetAddress() {
        final byte[] bytes;
        if (v4) {
            bytes = new byte[4];
            writeInt(bytes, 0, v4Bits);
        } else {
            bytes = new byte[16];
            writeLong(bytes, 0, high);
            writeLong(bytes, 8, low);
        }
        try {
            // getByAddress never resolves, it only checks the length.
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("unreachable: " + bytes.length + "-byte address", e);
        }
    }

    /** IPv4 addresses sort before IPv6 ones; within a family, by unsigned numeric value. */
    @Override
    public int compareTo(IpAddress o) {
        if (v4 != o.v4) {
            return v4 ? -1 : 1;
        }
        if (v4) {
            return Integer.compareUnsigned(v4Bits, o.v4Bits);
        }
        final int c = Long.compareUnsigned(high, o.high);
        return c != 0 ? c : Long.compareUnsigned(low, o.low);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof IpAddress that)) {
            return false;
        }
        return v4 == that.v4 && v4Bits == that.v4Bits && high == that.high && low == that.low;
    }

    @Override
    public int hashCode() {
        if (v4) {
            return v4Bits;
        }
        return 31 * Long.hashCode(high) + Long.hashCode(low) + 1;
    }

    /** The {@linkplain #canonical() canonical text}. */
    @Override
    public String toString() {
        return canonical();
    }

    // Parsing

    /**
     * Parses exactly four decimal parts of 0 to 255 without leading zeros or signs.
     *
     * @return the 32 bits as a non-negative long, or {@code -1}
     */
    private static long parseV4(CharSequence text, int start, int end) {
        int i = start;
        int bits = 0;
        for (int part = 0; ; part++) {
            if (i >= end) {
                return -1;
            }
            char c = text.charAt(i++);
            if (c < '0' || c > '9') {
                return -1;
            }
            int value = c - '0';
            while (i < end && (c = text.charAt(i)) >= '0' && c <= '9') {
                if (value == 0) {
                    return -1; // A leading zero: octal in inet_aton, so ambiguous.
                }
                value = value * 10 + c - '0';
                if (value > 255) {
                    return -1;
                }
                i++;
            }
            bits = bits << 8 | value;
            if (part == 3) {
                return i == end ? bits & 0xffffffffL : -1;
            }
            if (i >= end || text.charAt(i) != '.') {
                return -1;
            }
            i++;
        }
    }

    /**
     * Parses RFC 4291 §2.2 text. Groups before {@code ::} accumulate in (headHigh, headLow), groups
     * after it in (tailHigh, tailLow), each as a right-aligned 128-bit number; the head is shifted
     * into place at the end, so no group array is needed.
     */
    private static IpAddress parseV6(CharSequence text, int start, int end) {
        long headHigh = 0;
        long headLow = 0;
        int headGroups = 0;
        long tailHigh = 0;
        long tailLow = 0;
        int tailGroups = 0;
        boolean compressed = false;

        int i = start;
        if (text.charAt(i) == ':') {
            if (i + 1 >= end || text.charAt(i + 1) != ':') {
                return null; // A lone leading colon.
            }
            compressed = true;
            i += 2;
        }
        while (i < end) {
            final int groupStart = i;
            int group = 0;
            int digits = 0;
            while (i < end) {
                final int digit = hexValue(text.charAt(i));
                if (digit < 0) {
                    break;
                }
                if (++digits > 4) {
                    return null;
                }
                group = group << 4 | digit;
                i++;
            }
            if (i < end && text.charAt(i) == '.') {
                // An embedded IPv4 address; it must run to the end and takes two groups.
                if (headGroups + tailGroups > 6) {
                    return null;
                }
                final long v4 = parseV4(text, groupStart, end);
                if (v4 < 0) {
                    return null;
                }
                if (compressed) {
                    tailHigh = tailHigh << 32 | tailLow >>> 32;
                    tailLow = tailLow << 32 | v4;
                    tailGroups += 2;
                } else {
                    headHigh = headHigh << 32 | headLow >>> 32;
                    headLow = headLow << 32 | v4;
                    headGroups += 2;
                }
                break;
            }
            if (digits == 0 || headGroups + tailGroups == 8) {
                return null;
            }
            if (compressed) {
                tailHigh = tailHigh << 16 | tailLow >>> 48;
                tailLow = tailLow << 16 | group;
                tailGroups++;
            } else {
                headHigh = headHigh << 16 | headLow >>> 48;
                headLow = headLow << 16 | group;
                headGroups++;
            }
            if (i == end) {
                break;
            }
            if (text.charAt(i++) != ':') {
                return null;
            }
            if (i == end) {
                return null; // A lone trailing colon.
            }
            if (text.charAt(i) == ':') {
                if (compressed) {
                    return null; // A second '::'.
                }
                compressed = true;
                i++;
            }
        }

        final int groups = headGroups + tailGroups;
        if (compressed ? groups > 7 : groups != 8) {
            return null;
        }
        // Shift the head left so that it starts at bit 127; headGroups is 0..8, so the shift is a
        // multiple of 16 in 0..128, and Java shifts are modulo 64, hence the cases.
        final int shift = (8 - headGroups) * 16;
        final long high;
        final long low;
        if (shift == 0) {
            high = headHigh;
            low = headLow;
        } else if (shift < 64) {
            high = headHigh << shift | headLow >>> 64 - shift;
            low = headLow << shift;
        } else if (shift < 128) {
            high = headLow << shift - 64;
            low = 0;
        } else {
            high = 0;
            low = 0;
        }
        return ofV6(high | tailHigh, low | tailLow);
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    static int indexOf(CharSequence text, int start, int end, char c) {
        for (int i = start; i < end; i++) {
            if (text.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The message for text that is not an address. Runs only on failure, so it may look at the text
     * again to name the likely mistake.
     */
    static String invalidMessage(CharSequence text) {
        return "not an IP address: " + quote(text) + " (" + EXPECTED + hint(text) + ')';
    }

    /** {@code 'text'}, shortened when long: the text may be an attacker's header value. */
    static String quote(CharSequence text) {
        if (text.length() <= MAX_QUOTED_LENGTH) {
            return "'" + text + '\'';
        }
        return "'" + text.subSequence(0, MAX_QUOTED_LENGTH) + "'... (" + text.length() + " chars)";
    }

    private static String hint(CharSequence text) {
        final int length = text.length();
        if (length == 0) {
            return "; got empty text";
        }
        if (text.charAt(0) == '[' || text.charAt(length - 1) == ']') {
            return ", without brackets";
        }
        if (indexOf(text, 0, length, '%') >= 0) {
            return ", without a zone id";
        }
        for (int i = 0; i < length; i++) {
            if (Character.isWhitespace(text.charAt(i))) {
                return ", without spaces";
            }
        }
        final int colon = indexOf(text, 0, length, ':');
        if (colon > 0 && indexOf(text, colon + 1, length, ':') < 0 &&
            indexOf(text, 0, colon, '.') > 0) {
            return ", without a port";
        }
        if (hasLeadingZeroPart(text)) {
            return ", without leading zeros in IPv4 parts, which other parsers read as octal";
        }
        return "";
    }

    /** Whether a dotted part (one next to a '.') is all digits with a leading zero, like {@code 010}. */
    private static boolean hasLeadingZeroPart(CharSequence text) {
        final int length = text.length();
        int partStart = 0;
        for (int i = 0; i <= length; i++) {
            final char c = i < length ? text.charAt(i) : ':';
            if (c != '.' && c != ':') {
                continue;
            }
            final boolean dotted = c == '.' || partStart > 0 && text.charAt(partStart - 1) == '.';
            if (dotted && i - partStart > 1 && text.charAt(partStart) == '0' && allDigits(text, partStart, i)) {
                return true;
            }
            partStart = i + 1;
        }
        return false;
    }

    private static boolean allDigits(CharSequence text, int start, int end) {
        for (int i = start; i < end; i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    // Formatting

    private static String v4Text(int bits) {
        final char[] buf = new char[15];
        int pos = 0;
        for (int shift = 24; shift >= 0; shift -= 8) {
            pos = writeDecimal(buf, pos, bits >>> shift & 0xff);
            if (shift != 0) {
                buf[pos++] = '.';
            }
        }
        return new String(buf, 0, pos);
    }

    private static int writeDecimal(char[] buf, int pos, int value) {
        if (value >= 100) {
            buf[pos++] = (char) ('0' + value / 100);
        }
        if (value >= 10) {
            buf[pos++] = (char) ('0' + value / 10 % 10);
        }
        buf[pos++] = (char) ('0' + value % 10);
        return pos;
    }

    /** RFC 5952 §4: lower case, no leading zeros, the first longest run of two or more zero groups as {@code ::}. */
    private static String v6Text(long high, long low) {
        int bestStart = -1;
        int bestLength = 1; // Runs of one zero group are not compressed (RFC 5952 §4.2.2).
        int runStart = -1;
        for (int g = 0; g < 8; g++) {
            if (group(high, low, g) == 0) {
                if (runStart < 0) {
                    runStart = g;
                }
                final int runLength = g - runStart + 1;
                if (runLength > bestLength) { // Strictly longer: the first run wins ties (§4.2.3).
                    bestStart = runStart;
                    bestLength = runLength;
                }
            } else {
                runStart = -1;
            }
        }

        final char[] buf = new char[39];
        int pos = 0;
        for (int g = 0; g < 8; g++) {
            if (g == bestStart) {
                buf[pos++] = ':';
                buf[pos++] = ':';
                g += bestLength - 1;
                continue;
            }
            if (pos > 0 && buf[pos - 1] != ':') {
                buf[pos++] = ':';
            }
            final int value = group(high, low, g);
            boolean started = false;
            for (int shift = 12; shift >= 0; shift -= 4) {
                final int digit = value >>> shift & 0xf;
                if (digit != 0 || started || shift == 0) {
                    buf[pos++] = HEX_DIGITS[digit];
                    started = true;
                }
            }
        }
        return new String(buf, 0, pos);
    }

    private static int group(long high, long low, int index) {
        final long word = index < 4 ? high : low;
        return (int) (word >>> (3 - (index & 3)) * 16) & 0xffff;
    }

    // Bytes

    private static int readInt(byte[] bytes, int offset) {
        return (bytes[offset] & 0xff) << 24 | (bytes[offset + 1] & 0xff) << 16 |
               (bytes[offset + 2] & 0xff) << 8 | bytes[offset + 3] & 0xff;
    }

    private static long readLong(byte[] bytes, int offset) {
        return (long) readInt(bytes, offset) << 32 | readInt(bytes, offset + 4) & 0xffffffffL;
    }

    private static void writeInt(byte[] bytes, int offset, int value) {
        bytes[offset] = (byte) (value >>> 24);
        bytes[offset + 1] = (byte) (value >>> 16);
        bytes[offset + 2] = (byte) (value >>> 8);
        bytes[offset + 3] = (byte) value;
    }

    private static void writeLong(byte[] bytes, int offset, long value) {
        writeInt(bytes, offset, (int) (value >>> 32));
        writeInt(bytes, offset + 4, (int) value);
    }
}
