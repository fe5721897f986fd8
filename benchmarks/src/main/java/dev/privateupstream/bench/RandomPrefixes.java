package dev.privateupstream.bench;

import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Reproducible prefixes and addresses shaped like private endpoint allow lists: IPv4 prefixes in the
 * RFC 1918 ranges (mostly /24 to /32), IPv6 ones in {@code fd00::/8} (/48, /64 and /128).
 */
final class RandomPrefixes {
    private final SplittableRandom random;

    RandomPrefixes(long seed) {
        random = new SplittableRandom(seed);
    }

    /** Which families a set of prefixes or probes draws from. */
    enum Family {
        V4, V6, MIXED;

        static Family parse(String text) {
            return valueOf(text.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** {@code count} distinct prefixes; for {@link Family#MIXED}, IPv4 and IPv6 alternate. */
    List<IpPrefix> prefixes(int count, Family family) {
        final Set<IpPrefix> prefixes = new LinkedHashSet<>(count * 2);
        while (prefixes.size() < count) {
            final boolean v4 = family == Family.V4 || family == Family.MIXED && prefixes.size() % 2 == 0;
            prefixes.add(v4 ? v4Prefix() : v6Prefix());
        }
        return new ArrayList<>(prefixes);
    }

    private IpPrefix v4Prefix() {
        final int roll = random.nextInt(100);
        final int length = roll < 35 ? 32 : roll < 55 ? 28 : roll < 85 ? 24 : 26;
        return IpPrefix.of(IpAddress.ofV4(v4Bits() & mask(length)), length);
    }

    private IpPrefix v6Prefix() {
        final int roll = random.nextInt(100);
        final int length = roll < 20 ? 48 : roll < 60 ? 64 : 128;
        long high = v6High();
        long low = random.nextLong();
        if (length <= 64) {
            high &= -1L << (64 - length);
            low = 0;
        }
        return IpPrefix.of(IpAddress.ofV6(high, low), length);
    }

    /** A random address in one of the private ranges prefixes are drawn from. */
    IpAddress address(boolean v4) {
        return v4 ? IpAddress.ofV4(v4Bits()) : IpAddress.ofV6(v6High(), random.nextLong());
    }

    /** A random address inside {@code prefix}. */
    IpAddress inside(IpPrefix prefix) {
        final IpAddress network = prefix.network();
        if (network.isV4()) {
            return IpAddress.ofV4(network.v4Bits() | (random.nextInt() & ~mask(prefix.length())));
        }
        final int length = prefix.length();
        final long high = length >= 64 ? network.high() : network.high() | random.nextLong() >>> length;
        final long low = length >= 128 ? network.low()
                : length <= 64 ? random.nextLong() : network.low() | random.nextLong() >>> (length - 64);
        return IpAddress.ofV6(high, low);
    }

    int nextInt(int bound) {
        return random.nextInt(bound);
    }

    /** 10/8 for 70 %, 172.16/12 for 20 %, 192.168/16 for 10 %. */
    private int v4Bits() {
        final int roll = random.nextInt(10);
        final int bits = random.nextInt();
        if (roll < 7) {
            return 0x0a000000 | bits & 0x00ffffff;
        }
        if (roll < 9) {
            return 0xac100000 | bits & 0x000fffff;
        }
        return 0xc0a80000 | bits & 0x0000ffff;
    }

    /** In fd00::/8. */
    private long v6High() {
        return 0xfd00000000000000L | random.nextLong() >>> 8;
    }

    private static int mask(int length) {
        return length == 0 ? 0 : -1 << (32 - length);
    }
}
