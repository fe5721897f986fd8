package dev.privateupstream.net;

/**
 * What kind of network an address belongs to, as far as the access decision cares (SPEC §5).
 *
 * <p>Only {@link #PRIVATE} addresses may be reported as {@code unknown-private-endpoint}; loopback and
 * link-local count as public so that a caller that is not a declared endpoint learns nothing more.
 */
public enum AddressClass {
    /** RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 (100.64/10) and IPv6 unique local (fc00::/7). */
    PRIVATE,
    /** 127/8 and ::1. */
    LOOPBACK,
    /** 169.254/16 and fe80::/10. */
    LINK_LOCAL,
    /** Everything else, including unspecified and multicast addresses. */
    PUBLIC;

    /** Whether the access decision treats the address as a private one. */
    public boolean isPrivate() {
        return this == PRIVATE;
    }
}
