package dev.privateupstream.net;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing of {@link IpAddress} and {@link IpPrefix} parsing (Jazzer): any text either
 * parses or throws {@link IllegalArgumentException}; {@code tryParse} agrees with {@code parse}; and what
 * parses prints as canonical text that parses back to the same value, and prints the same again.
 */
class IpParseFuzzTest {

    private static String text(byte[] input) {
        return new String(input, StandardCharsets.ISO_8859_1);
    }

    @FuzzTest(maxDuration = "10m")
    void addressParsesOrIsRefused(byte[] input) {
        final String text = text(input);
        IpAddress parsed;
        try {
            parsed = IpAddress.parse(text);
        } catch (IllegalArgumentException refused) {
            parsed = null;
        }
        final IpAddress tried = IpAddress.tryParse(text);
        if (parsed == null ? tried != null : !parsed.equals(tried)) {
            throw new AssertionError("parse and tryParse disagree on " + text + ": " + parsed + " vs " + tried);
        }
        if (parsed == null) {
            return;
        }
        final String canonical = parsed.canonical();
        final IpAddress again = IpAddress.parse(canonical);
        if (!again.equals(parsed) || !again.canonical().equals(canonical) || again.hashCode() != parsed.hashCode()) {
            throw new AssertionError("round trip of " + text + " via " + canonical + " gave " + again);
        }
        if (!IpAddress.of(parsed.toInetAddress()).equals(parsed)) {
            throw new AssertionError("InetAddress round trip of " + canonical);
        }
        if (parsed.isV4() != (canonical.indexOf(':') < 0)) {
            throw new AssertionError("family of " + canonical);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void prefixParsesOrIsRefused(byte[] input) {
        final String text = text(input);
        final IpPrefix prefix;
        try {
            prefix = IpPrefix.parse(text);
        } catch (IllegalArgumentException refused) {
            return;
        }
        final String canonical = prefix.canonical();
        final IpPrefix again = IpPrefix.parse(canonical);
        if (!again.equals(prefix) || !again.canonical().equals(canonical)) {
            throw new AssertionError("round trip of " + text + " via " + canonical + " gave " + again);
        }
        if (!prefix.contains(prefix.network()) || !prefix.contains(prefix)) {
            throw new AssertionError(canonical + " does not contain itself");
        }
        if (IpPrefix.of(prefix.network(), prefix.length()).hashCode() != prefix.hashCode()) {
            throw new AssertionError("of() and parse() disagree on " + canonical);
        }
    }
}
