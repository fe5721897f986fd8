package dev.privateupstream.caller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The {@code X-Forwarded-For} walk of {@link ForwardedForResolver}: rightmost entry that is not a trusted
 * proxy, never a malformed one. Trusted here: 127.0.0.5 (the peer) and 10.200.0.0/16 (inner proxies).
 */
class ForwardedForResolverTest {
    private static final IpAddress PEER = IpAddress.parse("127.0.0.5");
    private static final Predicate<IpAddress> TRUSTED = a -> a.equals(PEER)
            || IpPrefix.parse("10.200.0.0/16").contains(a);

    private static String resolve(String... values) {
        return ForwardedForResolver.resolve(List.of(values), PEER, TRUSTED).canonical();
    }

    @Test
    void takesTheRightmostEntryThatIsNotATrustedProxy() {
        assertThat(resolve("10.1.0.4")).isEqualTo("10.1.0.4");
        assertThat(resolve("203.0.113.7, 10.1.0.4")).isEqualTo("10.1.0.4");
        assertThat(resolve("203.0.113.7, 10.1.0.4, 10.200.0.9")).isEqualTo("10.1.0.4");
        assertThat(resolve("203.0.113.7,10.1.0.4,10.200.0.9,10.200.3.1")).isEqualTo("10.1.0.4");
    }

    @Test
    void readsSeveralHeaderLinesAsOneListInOrder() {
        assertThat(resolve("203.0.113.7", "10.1.0.4", "10.200.0.9")).isEqualTo("10.1.0.4");
        assertThat(resolve("10.1.0.4, 10.200.0.1", "10.200.0.9")).isEqualTo("10.1.0.4");
    }

    @Test
    void anAllTrustedChainYieldsItsLeftmostEntry() {
        assertThat(resolve("10.200.0.1, 10.200.0.9")).isEqualTo("10.200.0.1");
    }

    @Test
    void stopsAtAMalformedEntryAndKeepsTheLastAddressItCouldVouchFor() {
        // The client wrote 10.1.0.4; a trusted proxy wrote something unreadable after it.
        assertThat(resolve("10.1.0.4, unknown, 10.200.0.9")).isEqualTo("10.200.0.9");
        assertThat(resolve("10.1.0.4, unknown")).isEqualTo("127.0.0.5");
        assertThat(resolve("10.1.0.4,")).isEqualTo("127.0.0.5");
        assertThat(resolve("10.1.0.4,,10.200.0.9")).isEqualTo("10.200.0.9");
        assertThat(resolve("")).isEqualTo("127.0.0.5");
        assertThat(resolve("10.1.0.4, 010.1.0.5")).isEqualTo("127.0.0.5");
        assertThat(resolve("10.1.0.4", "_hidden")).isEqualTo("127.0.0.5");
    }

    @Test
    void parsesAddressesWithPortsBracketsAndWhitespace() {
        assertThat(entry(" 10.1.0.4 ")).isEqualTo("10.1.0.4");
        assertThat(entry("\t10.1.0.4:4711")).isEqualTo("10.1.0.4");
        assertThat(entry("fd00::4")).isEqualTo("fd00::4");
        assertThat(entry("[fd00::4]")).isEqualTo("fd00::4");
        assertThat(entry("[fd00::4]:443")).isEqualTo("fd00::4");
        assertThat(entry("::ffff:10.1.0.4")).isEqualTo("10.1.0.4");
    }

    @Test
    void refusesEverythingElse() {
        for (String bad : new String[] {"", " ", "unknown", "10.1.0.4:", "10.1.0.4:99999", "10.1.0.4:80:81",
            "[10.1.0.4]", "[fd00::4", "[fd00::4]x", "[fd00::4]:", "fd00::4:80:x", "10.1.0", "10.1.0.4.5",
            "host.example", "10.1.0.4 10.1.0.5", "for=10.1.0.4", "\"10.1.0.4\""}) {
            assertThat(ForwardedForResolver.parseEntry(bad, 0, bad.length())).as("'%s'", bad).isNull();
        }
    }

    private static String entry(String text) {
        final IpAddress address = ForwardedForResolver.parseEntry(text, 0, text.length());
        return address == null ? null : address.canonical();
    }
}
