package dev.privateupstream.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "0.0.0.0                                  | 0.0.0.0",
            "255.255.255.255                          | 255.255.255.255",
            "10.0.0.4                                 | 10.0.0.4",
            "192.168.100.200                          | 192.168.100.200",
            "2001:db8::1                              | 2001:db8::1",
            "2001:0db8:0000:0000:0000:0000:0000:0001  | 2001:db8::1",
            "2001:db8:0:0:1:0:0:1                     | 2001:db8::1:0:0:1",
            "2001:DB8::A:bC                           | 2001:db8::a:bc",
            "::                                       | ::",
            "0:0:0:0:0:0:0:0                          | ::",
            "::1                                      | ::1",
            "0:0:0:0:0:0:0:1                          | ::1",
            "1::                                      | 1::",
            "1:0:0:0:0:0:0:0                          | 1::",
            "1:2:3:4:5:6:7::                          | 1:2:3:4:5:6:7:0",
            "::2:3:4:5:6:7:8                          | 0:2:3:4:5:6:7:8",
            "2001:db8:0:1:1:1:1:1                     | 2001:db8:0:1:1:1:1:1",
            "1:0:0:2:0:0:0:3                          | 1:0:0:2::3",
            "1:0:0:2:0:0:3:4                          | 1::2:0:0:3:4",
            "fd00::4                                  | fd00::4",
            "FE80::1                                  | fe80::1",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff  | ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:10.0.0.4                          | 10.0.0.4",
            "::FFFF:10.0.0.4                          | 10.0.0.4",
            "0:0:0:0:0:ffff:a00:4                     | 10.0.0.4",
            "0000:0000:0000:0000:0000:FFFF:0A00:0004  | 10.0.0.4",
            "::ffff:0:0                               | 0.0.0.0",
            "::ffff:1:2                               | 0.1.0.2",
            "::ffff:255.255.255.255                   | 255.255.255.255",
            "64:ff9b::1.2.3.4                         | 64:ff9b::102:304",
            "::1.2.3.4                                | ::102:304",
            "1:2:3:4:5:6:1.2.3.4                      | 1:2:3:4:5:6:102:304",
            "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 | ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    })
    void parsesToCanonicalText(String text, String canonical) {
        final IpAddress address = IpAddress.parse(text);
        assertThat(address.canonical()).isEqualTo(canonical);
        assertThat(address.toString()).isEqualTo(canonical);
        assertThat(IpAddress.parse(canonical)).isEqualTo(address);
        assertThat(IpAddress.tryParse(text)).isEqualTo(address);
        assertThat(address.isV4()).isEqualTo(canonical.indexOf(':') < 0);
        assertThat(address.bitLength()).isEqualTo(address.isV4() ? 32 : 128);
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {
            "", " ", ".", ":", "10.0.0", "10.0.0.0.1", "10.0.0.256", "256.0.0.0", "1000.0.0.0",
            "010.0.0.1", "10.00.0.1", "10.0.0.01", "+10.0.0.1", "-1.0.0.0", "10.-0.0.1", "10..0.1",
            ".10.0.0.1", "10.0.0.1.", " 10.0.0.1", "10.0.0.1 ", "10.0.0 .1", "10.0.0.1\t",
            "10.0.0.1:80", "1e1.0.0.1", "0x0a.0.0.1", "167772164", "\uff11\uff10.0.0.1",
            "localhost", "example.com", "fd00::4.example",
            "[::1]", "[::1]:80", "[10.0.0.1]", "fe80::1%eth0", "fe80::1%1",
            ":::", "::::", "1:::2", "1::2::3", ":1::", ":1:2:3:4:5:6:7:8", "1::2:", "1:2:3:4:5:6:7:8:",
            "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2:3:4:5:6:7:8", "::1:2:3:4:5:6:7:8",
            "12345::", "g::", "fd00::-1", "fd00:: 1", "fd00:+1::",
            "::ffff:10.0.0.256", "::ffff:10.0.0", "::ffff:010.0.0.1", "1.2.3.4::", "::1.2.3.4:5",
            "::1.2.3.4.5", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6:7:8:1.2.3.4", "::ffff:1.2.3",
            "::ffff:a.2.3.4", "::1.2.3.4::", "1.2.3.4:5::",
            "0000:0000:0000:0000:0000:0000:0000:0000:0000",
    })
    void rejectsMalformedText(String text) {
        assertThatThrownBy(() -> IpAddress.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an IP address: '" + text + "'")
                .hasMessageContaining("expected IPv4 like 10.0.0.4 or IPv6 like fd00::4");
        assertThat(IpAddress.tryParse(text)).isNull();
    }

    @Test
    void errorMessagesNameTheLikelyMistake() {
        assertThat(messageOf("10.0.0.256"))
                .isEqualTo("not an IP address: '10.0.0.256' (expected IPv4 like 10.0.0.4 or IPv6 like fd00::4)");
        assertThat(messageOf("[fd00::4]")).endsWith(", without brackets)");
        assertThat(messageOf("[fd00::4]:8080")).endsWith(", without brackets)");
        assertThat(messageOf("fe80::1%eth0")).endsWith(", without a zone id)");
        assertThat(messageOf("10.0.0.4:8080")).endsWith(", without a port)");
        assertThat(messageOf(" 10.0.0.4")).endsWith(", without spaces)");
        assertThat(messageOf("010.0.0.4")).contains("leading zeros");
        assertThat(messageOf("10.0.0.04")).contains("leading zeros");
        assertThat(messageOf("::ffff:10.00.0.4")).contains("leading zeros");
        // Leading zeros in a hex group are fine, so they must not be blamed.
        assertThat(messageOf("0001::1::")).doesNotContain("leading zeros");
    }

    @Test
    void longTextIsQuotedShortened() {
        final String text = "1".repeat(200);
        assertThat(messageOf(text))
                .contains("'" + "1".repeat(64) + "'")
                .contains("200 chars")
                .doesNotContain("1".repeat(65));
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> IpAddress.parse(null)).isInstanceOf(NullPointerException.class)
                                                        .hasMessage("text");
    }

    @Test
    void parsesAnyCharSequenceAndRanges() {
        assertThat(IpAddress.parse(new StringBuilder("fd00::4")).canonical()).isEqualTo("fd00::4");

        final String header = "10.0.0.4,fd00::4, ::ffff:10.0.0.5";
        assertThat(IpAddress.tryParse(header, 0, 8)).isEqualTo(IpAddress.parse("10.0.0.4"));
        assertThat(IpAddress.tryParse(header, 9, 16)).isEqualTo(IpAddress.parse("fd00::4"));
        assertThat(IpAddress.tryParse(header, 18, header.length())).isEqualTo(IpAddress.parse("10.0.0.5"));
        assertThat(IpAddress.tryParse(header, 16, header.length())).isNull(); // ", ::ffff:10.0.0.5"
        assertThat(IpAddress.tryParse(header, 0, 7)).isNull(); // "10.0.0."
        assertThat(IpAddress.tryParse(header, 3, 3)).isNull();
        assertThatThrownBy(() -> IpAddress.tryParse(header, 5, header.length() + 1))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> IpAddress.tryParse(header, 5, 4)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
            "9.255.255.255, PUBLIC",
            "10.0.0.0, PRIVATE",
            "10.255.255.255, PRIVATE",
            "11.0.0.0, PUBLIC",
            "172.15.255.255, PUBLIC",
            "172.16.0.0, PRIVATE",
            "172.31.255.255, PRIVATE",
            "172.32.0.0, PUBLIC",
            "192.167.255.255, PUBLIC",
            "192.168.0.0, PRIVATE",
            "192.168.255.255, PRIVATE",
            "192.169.0.0, PUBLIC",
            "100.63.255.255, PUBLIC",
            "100.64.0.0, PRIVATE",
            "100.127.255.255, PRIVATE",
            "100.128.0.0, PUBLIC",
            "126.255.255.255, PUBLIC",
            "127.0.0.0, LOOPBACK",
            "127.255.255.255, LOOPBACK",
            "128.0.0.0, PUBLIC",
            "169.253.255.255, PUBLIC",
            "169.254.0.0, LINK_LOCAL",
            "169.254.255.255, LINK_LOCAL",
            "169.255.0.0, PUBLIC",
            "0.0.0.0, PUBLIC",
            "255.255.255.255, PUBLIC",
            "::ffff:10.0.0.4, PRIVATE",
            "::ffff:127.0.0.1, LOOPBACK",
            "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, PUBLIC",
            "fc00::, PRIVATE",
            "fd00::4, PRIVATE",
            "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, PRIVATE",
            "fe00::, PUBLIC",
            "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff, PUBLIC",
            "fe80::, LINK_LOCAL",
            "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff, LINK_LOCAL",
            "fec0::, PUBLIC",
            "::, PUBLIC",
            "::1, LOOPBACK",
            "::2, PUBLIC",
            "1::1, PUBLIC",
            "2001:db8::1, PUBLIC",
            "ff02::1, PUBLIC",
    })
    void classifiesAddresses(String text, AddressClass expected) {
        final AddressClass actual = IpAddress.parse(text).addressClass();
        assertThat(actual).isEqualTo(expected);
        assertThat(actual.isPrivate()).isEqualTo(expected == AddressClass.PRIVATE);
    }

    @Test
    void ofInet6AddressHoldingAMappedAddressIsIpv4() throws Exception {
        final byte[] mapped = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 1, 0, 4 };
        // Inet6Address.getByAddress keeps the mapped form, unlike InetAddress.getByAddress.
        final InetAddress inet = Inet6Address.getByAddress(null, mapped, -1);
        assertThat(inet).isInstanceOf(Inet6Address.class);

        final IpAddress address = IpAddress.of(inet);
        assertThat(address.isV4()).isTrue();
        assertThat(address.v4Bits()).isEqualTo(0x0a010004);
        assertThat(address.canonical()).isEqualTo("10.1.0.4");
        assertThat(address).isEqualTo(IpAddress.parse("10.1.0.4"));
        assertThat(IpAddress.ofBytes(mapped)).isEqualTo(address);
    }

    @Test
    void ofInetAddressDropsTheScope() throws Exception {
        final byte[] bytes = new byte[16];
        bytes[0] = (byte) 0xfe;
        bytes[1] = (byte) 0x80;
        bytes[15] = 1;
        final IpAddress address = IpAddress.of(Inet6Address.getByAddress(null, bytes, 3));
        assertThat(address.canonical()).isEqualTo("fe80::1");
        assertThat(address.addressClass()).isEqualTo(AddressClass.LINK_LOCAL);
    }

    @Test
    void convertsToAndFromInetAddress() throws Exception {
        final InetAddress v4 = IpAddress.parse("192.168.1.2").toInetAddress();
        assertThat(v4).isInstanceOf(Inet4Address.class);
        assertThat(v4.getAddress()).containsExactly(192 - 256, 168 - 256, 1, 2);
        assertThat(IpAddress.of(v4).canonical()).isEqualTo("192.168.1.2");

        final InetAddress v6 = IpAddress.parse("fd00::1:2").toInetAddress();
        assertThat(v6).isInstanceOf(Inet6Address.class);
        assertThat(v6.getAddress()).containsExactly(0xfd - 256, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2);
        assertThat(IpAddress.of(v6).canonical()).isEqualTo("fd00::1:2");
    }

    @Test
    void ofBytesChecksTheLength() {
        assertThatThrownBy(() -> IpAddress.ofBytes(new byte[5]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bytes.length: 5 (expected: 4 or 16)");
        assertThat(IpAddress.ofBytes(new byte[] { 10, 0, 0, 4 }).canonical()).isEqualTo("10.0.0.4");
        assertThat(IpAddress.ofBytes(new byte[16]).canonical()).isEqualTo("::");
    }

    @Test
    void bitsAccessors() {
        final IpAddress v4 = IpAddress.ofV4(0x0a000004);
        assertThat(v4.canonical()).isEqualTo("10.0.0.4");
        assertThat(v4.v4Bits()).isEqualTo(0x0a000004);
        // An IPv4 address reports the bits of its mapped form.
        assertThat(v4.high()).isZero();
        assertThat(v4.low()).isEqualTo(0x0000ffff0a000004L);

        final IpAddress v6 = IpAddress.ofV6(0xfd00000000000000L, 4);
        assertThat(v6.canonical()).isEqualTo("fd00::4");
        assertThat(v6.high()).isEqualTo(0xfd00000000000000L);
        assertThat(v6.low()).isEqualTo(4);
        assertThatThrownBy(v6::v4Bits).isInstanceOf(IllegalStateException.class).hasMessageContaining("fd00::4");

        assertThat(IpAddress.ofV6(0, 0x0000ffff0a000004L)).isEqualTo(v4);
        assertThat(IpAddress.ofV6(0, 0x0000fffe0a000004L).isV4()).isFalse();
        assertThat(IpAddress.ofV6(1, 0x0000ffff0a000004L).isV4()).isFalse();
    }

    @Test
    void equalityIsByValue() {
        final IpAddress a = IpAddress.parse("::ffff:10.0.0.4");
        final IpAddress b = IpAddress.parse("10.0.0.4");
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(IpAddress.parse("2001:DB8::1")).isEqualTo(IpAddress.parse("2001:db8:0:0:0:0:0:1"))
                                                  .hasSameHashCodeAs(IpAddress.parse("2001:db8::1"));
        // The same numeric value in the two families is two different addresses.
        assertThat(IpAddress.parse("0.0.0.1")).isNotEqualTo(IpAddress.parse("::1"));
        assertThat(IpAddress.parse("0.0.0.0")).isNotEqualTo(IpAddress.parse("::"));
        assertThat(IpAddress.parse("10.0.0.4")).isNotEqualTo(IpAddress.parse("10.0.0.5")).isNotEqualTo(null);
    }

    @Test
    void sortsIpv4FirstThenUnsigned() {
        final List<IpAddress> sorted = new ArrayList<>();
        for (String text : new String[] { "0.0.0.0", "10.0.0.4", "127.0.0.1", "128.0.0.0",
                                          "255.255.255.255", "::", "::1", "8000::", "ffff::" }) {
            sorted.add(IpAddress.parse(text));
        }
        final List<IpAddress> shuffled = new ArrayList<>(sorted);
        Collections.shuffle(shuffled, new Random(7));
        Collections.sort(shuffled);
        assertThat(shuffled).containsExactlyElementsOf(sorted);
    }

    @Test
    void randomIpv6RoundTripsAgainstAReferenceFormatter() {
        final long seed = 20240501L;
        final Random random = new Random(seed);
        for (int i = 0; i < 20_000; i++) {
            final int[] groups = new int[8];
            for (int g = 0; g < 8; g++) {
                // Many zero groups, so runs of every length and position occur.
                groups[g] = random.nextInt(3) == 0 ? random.nextInt(0x10000) : 0;
                if (random.nextInt(8) == 0) {
                    groups[g] = random.nextInt(16);
                }
            }
            if (groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 &&
                groups[4] == 0 && groups[5] == 0xffff) {
                groups[5] = 0xfffe; // Mapped addresses print as IPv4, tested elsewhere.
            }
            final String expected = referenceCanonical(groups);
            final StringBuilder full = new StringBuilder();
            for (int g = 0; g < 8; g++) {
                full.append(g == 0 ? "" : ":").append(String.format(Locale.ROOT, "%04X", groups[g]));
            }
            final IpAddress parsed = IpAddress.parse(full);
            assertThat(parsed.canonical()).as("seed %d, %s", seed, full).isEqualTo(expected);
            assertThat(IpAddress.parse(expected)).as("seed %d, %s", seed, expected).isEqualTo(parsed);
            final long high = (long) groups[0] << 48 | (long) groups[1] << 32 | (long) groups[2] << 16 | groups[3];
            final long low = (long) groups[4] << 48 | (long) groups[5] << 32 | (long) groups[6] << 16 | groups[7];
            assertThat(IpAddress.ofV6(high, low)).as("seed %d, %s", seed, full).isEqualTo(parsed);
        }
    }

    @Test
    void randomIpv4RoundTrips() {
        final long seed = 4L;
        final Random random = new Random(seed);
        for (int i = 0; i < 20_000; i++) {
            final int bits = random.nextInt();
            final String text = (bits >>> 24) + "." + (bits >>> 16 & 0xff) + '.' + (bits >>> 8 & 0xff) + '.' +
                                (bits & 0xff);
            final IpAddress address = IpAddress.parse(text);
            assertThat(address.v4Bits()).as("seed %d, %s", seed, text).isEqualTo(bits);
            assertThat(address.canonical()).as("seed %d", seed).isEqualTo(text);
            assertThat(IpAddress.parse("::ffff:" + text)).as("seed %d, %s", seed, text).isEqualTo(address);
        }
    }

    private static String messageOf(String text) {
        try {
            IpAddress.parse(text);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + text);
    }

    /**
     * RFC 5952 by string surgery, written independently of the code under test: join the groups,
     * then replace the first longest run of two or more ":0" groups by "::".
     */
    private static String referenceCanonical(int[] groups) {
        final StringBuilder joined = new StringBuilder(":");
        for (int group : groups) {
            joined.append(Integer.toHexString(group)).append(':');
        }
        String text = joined.toString();
        for (int run = 8; run >= 2; run--) {
            final String zeros = ":" + "0:".repeat(run);
            final int at = text.indexOf(zeros);
            if (at >= 0) {
                text = text.substring(0, at) + "::" + text.substring(at + zeros.length());
                break;
            }
        }
        if (text.startsWith(":") && !text.startsWith("::")) {
            text = text.substring(1);
        }
        if (text.endsWith(":") && !text.endsWith("::")) {
            text = text.substring(0, text.length() - 1);
        }
        return text;
    }
}
