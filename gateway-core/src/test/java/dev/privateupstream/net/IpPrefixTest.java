package dev.privateupstream.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpPrefixTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "10.1.0.0/28           | 10.1.0.0/28  | true  | 28",
            "10.0.0.0/8            | 10.0.0.0/8   | true  | 8",
            "0.0.0.0/0             | 0.0.0.0/0    | true  | 0",
            "10.1.0.4/32           | 10.1.0.4/32  | true  | 32",
            "10.1.0.4              | 10.1.0.4/32  | true  | 32",
            "fd00::/8              | fd00::/8     | false | 8",
            "FD00:0::/8            | fd00::/8     | false | 8",
            "::/0                  | ::/0         | false | 0",
            "fd00::4               | fd00::4/128  | false | 128",
            "fd00::4/128           | fd00::4/128  | false | 128",
            "2001:db8:0:0:1::/80   | 2001:db8:0:0:1::/80 | false | 80",
            "::ffff:10.0.0.0/104   | 10.0.0.0/8   | true  | 8",
            "::ffff:a00:0/104      | 10.0.0.0/8   | true  | 8",
            "::ffff:10.1.0.4       | 10.1.0.4/32  | true  | 32",
            "::ffff:10.1.0.4/128   | 10.1.0.4/32  | true  | 32",
            "::ffff:0:0/96         | 0.0.0.0/0    | true  | 0",
            "::ffff:0.0.0.0/96     | 0.0.0.0/0    | true  | 0",
    })
    void parses(String text, String canonical, boolean v4, int length) {
        final IpPrefix prefix = IpPrefix.parse(text);
        assertThat(prefix.canonical()).isEqualTo(canonical);
        assertThat(prefix.toString()).isEqualTo(canonical);
        assertThat(prefix.isV4()).isEqualTo(v4);
        assertThat(prefix.network().isV4()).isEqualTo(v4);
        assertThat(prefix.length()).isEqualTo(length);
        assertThat(IpPrefix.parse(canonical)).isEqualTo(prefix).hasSameHashCodeAs(prefix);
        assertThat(IpPrefix.of(prefix.network(), prefix.length())).isEqualTo(prefix);
    }

    @Test
    void hostBitsAreAnErrorWithAHint() {
        assertThatThrownBy(() -> IpPrefix.parse("10.1.0.4/28"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("host bits set in 10.1.0.4/28 (expected the network address, e.g. 10.1.0.0/28)");
        assertThatThrownBy(() -> IpPrefix.parse("fd00::1/8"))
                .hasMessage("host bits set in fd00::1/8 (expected the network address, e.g. fd00::/8)");
        assertThatThrownBy(() -> IpPrefix.parse("2001:db8::1:0:0:1/95"))
                .hasMessage("host bits set in 2001:db8::1:0:0:1/95 " +
                            "(expected the network address, e.g. 2001:db8:0:0:1::/95)");
        assertThatThrownBy(() -> IpPrefix.parse("10.0.0.1/0"))
                .hasMessage("host bits set in 10.0.0.1/0 (expected the network address, e.g. 0.0.0.0/0)");
        // A mapped prefix: the text as written, the hint as it will be used.
        assertThatThrownBy(() -> IpPrefix.parse("::ffff:10.1.0.4/124"))
                .hasMessage("host bits set in ::ffff:10.1.0.4/124 " +
                            "(expected the network address, e.g. 10.1.0.0/28)");
        assertThatThrownBy(() -> IpPrefix.of(IpAddress.parse("10.1.0.4"), 28))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("host bits set in 10.1.0.4/28 (expected the network address, e.g. 10.1.0.0/28)");
    }

    @ParameterizedTest
    @ValueSource(strings = { "::ffff:10.0.0.0/95", "::ffff:0:0/88", "::ffff:0:0/80", "::ffff:10.0.0.0/0" })
    void mappedPrefixesShorterThan96AreRejected(String text) {
        assertThatThrownBy(() -> IpPrefix.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'")
                .hasMessageContaining("IPv4-mapped")
                .hasMessageContaining("/96");
    }

    @Test
    void lengthOutOfRange() {
        assertThatThrownBy(() -> IpPrefix.parse("10.0.0.0/33"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefix length out of range in '10.0.0.0/33' (expected: 0..32 for IPv4)");
        assertThatThrownBy(() -> IpPrefix.parse("fd00::/129"))
                .hasMessage("prefix length out of range in 'fd00::/129' (expected: 0..128 for IPv6)");
        assertThatThrownBy(() -> IpPrefix.parse("::ffff:10.0.0.0/129"))
                .hasMessage("prefix length out of range in '::ffff:10.0.0.0/129' (expected: 0..128 for IPv6)");
        assertThatThrownBy(() -> IpPrefix.of(IpAddress.parse("10.0.0.0"), 33))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("length: 33 (expected: 0..32 for IPv4)");
        assertThatThrownBy(() -> IpPrefix.of(IpAddress.parse("fd00::"), -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("length: -1 (expected: 0..128 for IPv6)");
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {
            "", "/", "/8", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0 /8",
            "10.0.0.0/8 ", "10.0.0.0/8/8", "10.0.0.0/1000", "10.0.0.0/08", "10.0.0.0/x", "10.0.0/8",
            "[fd00::]/8", "fd00::%eth0/8", "fd00:::/8", "example.com/8", "10.0.0.256/8",
    })
    void rejectsMalformedText(String text) {
        assertThatThrownBy(() -> IpPrefix.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not an IP prefix: '" + text +
                            "' (expected a CIDR prefix like 10.1.0.0/28 or fd00::/8, or a bare address)");
    }

    @Test
    void containsAddresses() {
        final IpPrefix v4 = IpPrefix.parse("10.1.0.0/28");
        assertThat(v4.contains(IpAddress.parse("10.1.0.0"))).isTrue();
        assertThat(v4.contains(IpAddress.parse("10.1.0.15"))).isTrue();
        assertThat(v4.contains(IpAddress.parse("10.1.0.16"))).isFalse();
        assertThat(v4.contains(IpAddress.parse("10.0.255.255"))).isFalse();
        assertThat(v4.contains(IpAddress.parse("::ffff:10.1.0.4"))).isTrue();

        final IpPrefix v6 = IpPrefix.parse("fd00::/8");
        assertThat(v6.contains(IpAddress.parse("fd00::"))).isTrue();
        assertThat(v6.contains(IpAddress.parse("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))).isTrue();
        assertThat(v6.contains(IpAddress.parse("fe00::"))).isFalse();
        assertThat(v6.contains(IpAddress.parse("fc00::"))).isFalse();

        // Each family's /0 holds only its own family.
        final IpPrefix allV4 = IpPrefix.parse("0.0.0.0/0");
        final IpPrefix allV6 = IpPrefix.parse("::/0");
        assertThat(allV4.contains(IpAddress.parse("255.255.255.255"))).isTrue();
        assertThat(allV4.contains(IpAddress.parse("::1"))).isFalse();
        assertThat(allV6.contains(IpAddress.parse("::1"))).isTrue();
        assertThat(allV6.contains(IpAddress.parse("0.0.0.0"))).isFalse();
        assertThat(allV6.contains(IpAddress.parse("::ffff:10.0.0.4"))).isFalse();
        assertThat(IpPrefix.parse("::/64").contains(IpAddress.parse("::ffff:10.0.0.4"))).isFalse();

        final IpPrefix host = IpPrefix.parse("fd00::4");
        assertThat(host.contains(IpAddress.parse("fd00::4"))).isTrue();
        assertThat(host.contains(IpAddress.parse("fd00::5"))).isFalse();

        // A length past 64 compares the low word too.
        final IpPrefix long6 = IpPrefix.parse("2001:db8:0:0:ff00::/72");
        assertThat(long6.contains(IpAddress.parse("2001:db8::ff12:3456:789a:bcde"))).isTrue();
        assertThat(long6.contains(IpAddress.parse("2001:db8::fe12:3456:789a:bcde"))).isFalse();
        assertThat(long6.contains(IpAddress.parse("2001:db9::ff00:0:0:0"))).isFalse();
    }

    @Test
    void containsPrefixes() {
        final IpPrefix outer = IpPrefix.parse("10.0.0.0/8");
        assertThat(outer.contains(IpPrefix.parse("10.1.0.0/16"))).isTrue();
        assertThat(outer.contains(IpPrefix.parse("10.1.0.4"))).isTrue();
        assertThat(outer.contains(outer)).isTrue();
        assertThat(outer.contains(IpPrefix.parse("0.0.0.0/0"))).isFalse();
        assertThat(outer.contains(IpPrefix.parse("8.0.0.0/6"))).isFalse();
        assertThat(outer.contains(IpPrefix.parse("11.0.0.0/8"))).isFalse();
        assertThat(IpPrefix.parse("10.1.0.0/16").contains(outer)).isFalse();
        assertThat(IpPrefix.parse("::/0").contains(IpPrefix.parse("fd00::/8"))).isTrue();
        assertThat(IpPrefix.parse("::/0").contains(IpPrefix.parse("10.0.0.0/8"))).isFalse();
        assertThat(IpPrefix.parse("0.0.0.0/0").contains(IpPrefix.parse("::/0"))).isFalse();
        assertThat(IpPrefix.parse("0.0.0.0/0").contains(IpPrefix.parse("::ffff:10.0.0.0/104"))).isTrue();
    }

    @Test
    void equality() {
        assertThat(IpPrefix.parse("10.0.0.0/8")).isEqualTo(IpPrefix.parse("::ffff:10.0.0.0/104"))
                                                 .isNotEqualTo(IpPrefix.parse("10.0.0.0/9"))
                                                 .isNotEqualTo(IpPrefix.parse("11.0.0.0/8"))
                                                 .isNotEqualTo(IpPrefix.parse("::/8"));
        assertThat(IpPrefix.parse("0.0.0.0/0")).isNotEqualTo(IpPrefix.parse("::/0"));
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> IpPrefix.parse(null)).isInstanceOf(NullPointerException.class).hasMessage("text");
        assertThatThrownBy(() -> IpPrefix.of(null, 8)).isInstanceOf(NullPointerException.class).hasMessage("network");
    }

    /** Masks at every length, against BigInteger arithmetic. */
    @Test
    void randomContainsAgainstBigIntegerReference() {
        final long seed = 99L;
        final Random random = new Random(seed);
        for (int i = 0; i < 20_000; i++) {
            final boolean v4 = random.nextBoolean();
            final int bits = v4 ? 32 : 128;
            final int length = random.nextInt(bits + 1);
            final BigInteger network = new BigInteger(bits, random).shiftRight(bits - length).shiftLeft(bits - length);
            BigInteger address = new BigInteger(bits, random);
            if (random.nextBoolean()) {
                // Same network, random host bits: mostly inside, sometimes one bit off.
                address = network.or(address.and(BigInteger.ONE.shiftLeft(bits - length).subtract(BigInteger.ONE)));
                if (random.nextInt(4) == 0 && length > 0) {
                    address = address.flipBit(bits - 1 - random.nextInt(length));
                }
            }
            final IpPrefix prefix = IpPrefix.of(toAddress(network, v4), length);
            final IpAddress candidate = toAddress(address, v4);
            final boolean expected = address.shiftRight(bits - length).equals(network.shiftRight(bits - length));
            assertThat(prefix.contains(candidate))
                    .as("seed %d: %s contains %s", seed, prefix, candidate).isEqualTo(expected);
            assertThat(IpPrefix.parse(prefix.canonical())).as("seed %d", seed).isEqualTo(prefix);
        }
    }

    private static IpAddress toAddress(BigInteger value, boolean v4) {
        if (v4) {
            return IpAddress.ofV4(value.intValue());
        }
        // With this fixed seed no value falls in the mapped block (a 2^-80 chance each).
        return IpAddress.ofV6(value.shiftRight(64).longValue(), value.longValue());
    }
}
