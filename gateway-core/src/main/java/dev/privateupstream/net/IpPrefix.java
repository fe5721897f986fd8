package dev.privateupstream.net;

/**
 * An immutable CIDR prefix, IPv4 or IPv6. A bare address is a host prefix (/32 or /128).
 */
public final class IpPrefix {
    // STUB

    private IpPrefix() {
        throw new UnsupportedOperationException("stub");
    }

    /**
     * Parses {@code 10.1.0.0/28}, {@code fd00::/8}, or a bare address. An IPv4-mapped IPv6 prefix of
     * length 96 or more becomes the IPv4 prefix. Host bits below the length must be zero.
     *
     * @throws IllegalArgumentException naming the text and what was expected
     */
    public static IpPrefix parse(CharSequence text) {
        throw new UnsupportedOperationException("stub");
    }

    /** @throws IllegalArgumentException if the length is out of range or host bits are set */
    public static IpPrefix of(IpAddress network, int length) {
        throw new UnsupportedOperationException("stub");
    }

    public IpAddress network() {
        throw new UnsupportedOperationException("stub");
    }

    public int length() {
        throw new UnsupportedOperationException("stub");
    }

    public boolean isV4() {
        throw new UnsupportedOperationException("stub");
    }

    public boolean contains(IpAddress address) {
        throw new UnsupportedOperationException("stub");
    }

    /** Whether every address of {@code other} is in this prefix. */
    public boolean contains(IpPrefix other) {
        throw new UnsupportedOperationException("stub");
    }

    /** {@code network/length} with the canonical network text. */
    public String canonical() {
        throw new UnsupportedOperationException("stub");
    }
}
