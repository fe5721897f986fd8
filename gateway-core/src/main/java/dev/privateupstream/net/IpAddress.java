package dev.privateupstream.net;

import java.net.InetAddress;

/**
 * An immutable IPv4 or IPv6 address.
 *
 * <p>An IPv4-mapped IPv6 address ({@code ::ffff:10.0.0.4}) is normalised to the IPv4 address at
 * construction, so it matches IPv4 rules and prints as dotted IPv4 (SPEC §4, §6).
 */
public final class IpAddress {
    // STUB: implemented by the net work package (see IMPLEMENTATION NOTES in the task).

    private IpAddress() {
        throw new UnsupportedOperationException("stub");
    }

    /**
     * Parses IPv4 dotted-quad or IPv6 text (with {@code ::} compression and an optional embedded IPv4
     * tail). No brackets, ports, zone ids or host names.
     *
     * @throws IllegalArgumentException naming the text and what was expected
     */
    public static IpAddress parse(CharSequence text) {
        throw new UnsupportedOperationException("stub");
    }

    /** The address of a JDK {@link InetAddress} (no DNS lookup). */
    public static IpAddress of(InetAddress address) {
        throw new UnsupportedOperationException("stub");
    }

    /** An address from 4 or 16 network-order bytes. */
    public static IpAddress ofBytes(byte[] bytes) {
        throw new UnsupportedOperationException("stub");
    }

    /** An IPv4 address from its 32 bits. */
    public static IpAddress ofV4(int bits) {
        throw new UnsupportedOperationException("stub");
    }

    /** An IPv6 address from its 128 bits; an IPv4-mapped one becomes IPv4. */
    public static IpAddress ofV6(long high, long low) {
        throw new UnsupportedOperationException("stub");
    }

    public boolean isV4() {
        throw new UnsupportedOperationException("stub");
    }

    /** The 32 bits of an IPv4 address; only meaningful when {@link #isV4()}. */
    public int v4Bits() {
        throw new UnsupportedOperationException("stub");
    }

    /** The upper 64 bits of an IPv6 address; only meaningful when not {@link #isV4()}. */
    public long high() {
        throw new UnsupportedOperationException("stub");
    }

    /** The lower 64 bits of an IPv6 address; only meaningful when not {@link #isV4()}. */
    public long low() {
        throw new UnsupportedOperationException("stub");
    }

    /** 32 or 128. */
    public int bitLength() {
        throw new UnsupportedOperationException("stub");
    }

    public AddressClass addressClass() {
        throw new UnsupportedOperationException("stub");
    }

    /** Canonical text: IPv4 dotted; IPv6 per RFC 5952 (lower case, longest zero run compressed, no brackets). */
    public String canonical() {
        throw new UnsupportedOperationException("stub");
    }

    public InetAddress toInetAddress() {
        throw new UnsupportedOperationException("stub");
    }
}
