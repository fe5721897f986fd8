package dev.privateupstream.endpoint;

/**
 * An Azure private endpoint link id: the unsigned 32-bit value carried in the PROXY v2 TLV {@code 0xEE},
 * subtype {@code 0x01} (SPEC §4, §5).
 */
public record LinkId(long value) {

    public LinkId {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("linkId: " + value + " (expected 0 to 4294967295)");
        }
    }

    /** A link id from the 32 bits read off the wire, read as unsigned. */
    public static LinkId ofBits(int bits) {
        return new LinkId(Integer.toUnsignedLong(bits));
    }

    /**
     * Parses decimal text.
     *
     * @throws IllegalArgumentException naming the text and the range
     */
    public static LinkId parse(String text) {
        final long value;
        try {
            value = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("linkId: '" + text + "' (expected a whole number from 0 to 4294967295)");
        }
        return new LinkId(value);
    }

    @Override
    public String toString() {
        return Long.toString(value);
    }
}
