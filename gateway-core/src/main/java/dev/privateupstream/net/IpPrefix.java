package dev.privateupstream.net;

import static java.util.Objects.requireNonNull;

/**
 * An immutable CIDR prefix, IPv4 or IPv6. A bare address is a host prefix (/32 or /128).
 *
 * <p>Like {@link IpAddress}, an IPv4-mapped IPv6 prefix ({@code ::ffff:10.0.0.0/104}) becomes the IPv4
 * prefix ({@code 10.0.0.0/8}), so an IPv4 address is never in an IPv6 prefix and vice versa.
 */
public final class IpPrefix {

    private static final String EXPECTED =
            "expected a CIDR prefix like 10.1.0.0/28 or fd00::/8, or a bare address";

    /** Length of {@code ::ffff:0:0/96}, the IPv4-mapped block. */
    private static final int MAPPED_LENGTH = 96;

    private final IpAddress network;
    private final int length;

    private IpPrefix(IpAddress network, int length) {
        this.network = network;
        this.length = length;
    }

    /**
     * Parses {@code 10.1.0.0/28}, {@code fd00::/8}, or a bare address. An IPv4-mapped IPv6 prefix of
     * length 96 or more becomes the IPv4 prefix. Host bits below the length must be zero.
     *
     * @throws IllegalArgumentException naming the text and what was expected
     */
    public static IpPrefix parse(CharSequence text) {
        requireNonNull(text, "text");
        final int end = text.length();
        final int slash = IpAddress.indexOf(text, 0, end, '/');
        if (slash < 0) {
            final IpAddress address = IpAddress.tryParse(text, 0, end);
            if (address == null) {
                throw new IllegalArgumentException(invalidMessage(text));
            }
            return new IpPrefix(address, address.bitLength());
        }

        final IpAddress address = IpAddress.tryParse(text, 0, slash);
        final int length = parseLength(text, slash + 1, end);
        if (address == null || length < 0) {
            throw new IllegalArgumentException(invalidMessage(text));
        }
        // The address text says which family the length counts in: ::ffff:10.0.0.0 parses to an
        // IPv4 address, but its /104 counts IPv6 bits.
        final boolean writtenAsV6 = IpAddress.indexOf(text, 0, slash, ':') >= 0;
        final int maxLength = writtenAsV6 ? 128 : 32;
        if (length > maxLength) {
            throw new IllegalArgumentException(
                    "prefix length out of range in " + IpAddress.quote(text) +
                    " (expected: 0.." + maxLength + " for " + (writtenAsV6 ? "IPv6" : "IPv4") + ')');
        }
        int v4Length = length;
        if (writtenAsV6 && address.isV4()) {
            if (length < MAPPED_LENGTH) {
                throw new IllegalArgumentException(
                        "IPv4-mapped prefix shorter than /96: " + IpAddress.quote(text) +
                        " (expected: /96 to /128, since mapped addresses match as IPv4; write the" +
                        " IPv4 and the IPv6 ranges as separate prefixes)");
            }
            v4Length = length - MAPPED_LENGTH;
        }
        if (hasHostBits(address, v4Length)) {
            throw new IllegalArgumentException(
                    "host bits set in " + text +
                    " (expected the network address, e.g. " + canonical(address, v4Length) + ')');
        }
        return new IpPrefix(address, v4Length);
    }

    /**
     * A prefix from its network address and length (0..32 for IPv4, 0..128 for IPv6).
     *
     * @throws IllegalArgumentException if the length is out of range or host bits are set
     */
    public static IpPrefix of(IpAddress network, int length) {
        requireNonNull(network, "network");
        final int maxLength = network.bitLength();
        if (length < 0 || length > maxLength) {
            throw new IllegalArgumentException(
                    "length: " + length + " (expected: 0.." + maxLength + " for " +
                    (network.isV4() ? "IPv4" : "IPv6") + ')');
        }
        if (hasHostBits(network, length)) {
            throw new IllegalArgumentException(
                    "host bits set in " + network + '/' + length + " (expected the network address, e.g. " +
                    canonical(network, length) + ')');
        }
        return new IpPrefix(network, length);
    }

    /** Parses a decimal length of 1 to 3 digits without sign or leading zeros; {@code -1} if malformed. */
    private static int parseLength(CharSequence text, int start, int end) {
        final int digits = end - start;
        if (digits < 1 || digits > 3 || digits > 1 && text.charAt(start) == '0') {
            return -1;
        }
        int value = 0;
        for (int i = start; i < end; i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + c - '0';
        }
        return value;
    }

    private static boolean hasHostBits(IpAddress address, int length) {
        if (address.isV4()) {
            return (address.v4Bits() & ~mask32(length)) != 0;
        }
        return (address.high() & ~maskHigh(length)) != 0 || (address.low() & ~maskLow(length)) != 0;
    }

    private static String canonical(IpAddress address, int length) {
        final IpAddress network;
        if (address.isV4()) {
            network = IpAddress.ofV4(address.v4Bits() & mask32(length));
        } else {
            network = IpAddress.ofV6(address.high() & maskHigh(length), address.low() & maskLow(length));
        }
        return network.canonical() + '/' + length;
    }

    private static String invalidMessage(CharSequence text) {
        return "not an IP prefix: " + IpAddress.quote(text) + " (" + EXPECTED + ')';
    }

    /** The network mask of an IPv4 prefix length 0..32. */
    static int mask32(int length) {
        // Java masks shift distances to 5 bits, so -1 << 32 would be -1, not 0.
        return length == 0 ? 0 : -1 << 32 - length;
    }

    /** The upper 64 bits of the network mask of an IPv6 prefix length 0..128. */
    static long maskHigh(int length) {
        if (length >= 64) {
            return -1L;
        }
        return length == 0 ? 0 : -1L << 64 - length;
    }

    /** The lower 64 bits of the network mask of an IPv6 prefix length 0..128. */
    static long maskLow(int length) {
        if (length <= 64) {
            return 0;
        }
        return -1L << 128 - length;
    }

    public IpAddress network() {
        return network;
    }

    /** The number of leading network bits: 0..32 for IPv4, 0..128 for IPv6. */
    public int length() {
        return length;
    }

    public boolean isV4() {
        return network.isV4();
    }

    public boolean contains(IpAddress address) {
        requireNonNull(address, "address");
        if (address.isV4() != network.isV4()) {
            return false;
        }
        if (address.isV4()) {
            return ((address.v4Bits() ^ network.v4Bits()) & mask32(length)) == 0;
        }
        return ((address.high() ^ network.high()) & maskHigh(length)) == 0 &&
               ((address.low() ^ network.low()) & maskLow(length)) == 0;
    }

    /** Whether every address of {@code other} is in this prefix. */
    public boolean contains(IpPrefix other) {
        requireNonNull(other, "other");
        return other.length >= length && contains(other.network);
    }

    /** {@code network/length} with the canonical network text. */
    public String canonical() {
        return network.canonical() + '/' + length;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof IpPrefix that)) {
            return false;
        }
        return length == that.length && network.equals(that.network);
    }

    @Override
    public int hashCode() {
        return 31 * network.hashCode() + length;
    }

    /** The {@linkplain #canonical() canonical text}. */
    @Override
    public String toString() {
        return canonical();
    }
}
