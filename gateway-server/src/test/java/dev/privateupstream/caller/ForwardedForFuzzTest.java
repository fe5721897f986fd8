package dev.privateupstream.caller;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Coverage-guided fuzzing (Jazzer) of {@code X-Forwarded-For} as a trusted proxy hands it over (SPEC §4):
 * {@link ForwardedForResolver#resolve} on one to three header lines of entries that are trusted proxies, other
 * addresses, the same with ports, brackets and spaces or tabs around them, {@code unknown}, empty or fuzzed text.
 *
 * <p>The caller equals an oracle's, written from the resolver's documentation with plain {@link String}
 * methods: walk the entries right to left over the lines in order; the first entry that is not a trusted proxy
 * is the caller; at the first entry that is not an address (bare IPv4 or IPv6, {@code 10.1.0.4:port},
 * {@code [fd00::4]}, {@code [fd00::4]:port}, a port being 1 to 5 digits up to 65535, spaces and tabs around),
 * the caller is the last address vouched for (the peer at first); when all are trusted, the leftmost. The text
 * of one address is {@link IpAddress#tryParse}'s to judge ({@code IpParseFuzzTest} fuzzes that).
 *
 * <p>In the default build only the seeds under {@code ForwardedForFuzzTestInputs/} run; {@code JAZZER_FUZZ=1}
 * fuzzes (see the README, "Fuzzing").
 */
class ForwardedForFuzzTest {
    private static final IpAddress PEER = IpAddress.parse("10.9.0.1");
    private static final List<IpPrefix> TRUSTED = List.of(IpPrefix.parse("10.9.0.0/16"), IpPrefix.parse("fd00:9::/32"));
    private static final Predicate<IpAddress> IS_TRUSTED = a -> TRUSTED.stream().anyMatch(p -> p.contains(a));
    private static final String[] ADDRESSES = {"10.9.0.7", "10.9.255.254", "fd00:9::7", "203.0.113.5", "10.1.0.4",
        "fd00::4", "2001:db8::1", "::ffff:10.9.0.8", "10.9.0.07", "0.0.0.0"};
    private static final String[] PADS = {"", " ", "\t", "  ", " \t"};

    @FuzzTest(maxDuration = "10m")
    void callerIsTheNearestEntryNotVouchedFor(FuzzedDataProvider data) {
        final List<String> lines = new ArrayList<>();
        for (int n = data.consumeInt(1, 3); n > 0; n--) {
            final StringBuilder line = new StringBuilder();
            for (int e = data.consumeInt(1, 4); e > 0; e--) {
                line.append(data.pickValue(PADS)).append(entry(data)).append(data.pickValue(PADS));
                if (e > 1) {
                    line.append(',');
                }
            }
            lines.add(line.toString());
        }
        final IpAddress actual = ForwardedForResolver.resolve(lines, PEER, IS_TRUSTED);
        final IpAddress expected = expected(lines);
        if (!Objects.equals(actual, expected)) {
            throw new AssertionError("caller " + actual + ", expected " + expected + " for " + lines);
        }
    }

    private static String entry(FuzzedDataProvider data) {
        final String address = data.consumeInt(0, 5) == 0 ? data.consumeString(20) : data.pickValue(ADDRESSES);
        final String port = data.consumeBoolean() ? Integer.toString(data.consumeInt(0, 70000))
                : data.consumeString(7);
        return switch (data.consumeInt(0, 9)) {
            case 0, 1, 2 -> address;
            case 3 -> address + ":" + port;
            case 4 -> "[" + address + "]";
            case 5 -> "[" + address + "]:" + port;
            case 6 -> "unknown";
            case 7 -> "";
            default -> data.consumeString(30);
        };
    }

    private static IpAddress expected(List<String> lines) {
        IpAddress vouched = PEER;
        for (int l = lines.size() - 1; l >= 0; l--) {
            final String[] entries = lines.get(l).split(",", -1);
            for (int e = entries.length - 1; e >= 0; e--) {
                final IpAddress entry = address(strip(entries[e]));
                if (entry == null) {
                    return vouched;
                }
                if (!IS_TRUSTED.test(entry)) {
                    return entry;
                }
                vouched = entry;
            }
        }
        return vouched;
    }

    /** One entry's address, or {@code null} when it is none of the documented forms. */
    private static IpAddress address(String text) {
        if (text.startsWith("[")) {
            final int close = text.indexOf(']');
            if (close < 0) {
                return null;
            }
            final String inner = text.substring(1, close);
            final String rest = text.substring(close + 1);
            if (!inner.contains(":") || !rest.isEmpty() && !isPort(rest)) {
                return null;
            }
            return IpAddress.tryParse(inner);
        }
        final int colon = text.indexOf(':');
        if (colon >= 0 && colon == text.lastIndexOf(':')) {
            final IpAddress v4 = isPort(text.substring(colon)) ? IpAddress.tryParse(text.substring(0, colon)) : null;
            return v4 != null && v4.isV4() ? v4 : null;
        }
        return text.isEmpty() ? null : IpAddress.tryParse(text);
    }

    /** {@code :} and 1 to 5 ASCII digits, at most 65535. */
    private static boolean isPort(String text) {
        if (!text.startsWith(":") || text.length() < 2 || text.length() > 6) {
            return false;
        }
        for (int i = 1; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return Integer.parseInt(text.substring(1)) <= 65535;
    }

    private static String strip(String text) {
        int from = 0;
        int to = text.length();
        while (from < to && (text.charAt(from) == ' ' || text.charAt(from) == '\t')) {
            from++;
        }
        while (to > from && (text.charAt(to - 1) == ' ' || text.charAt(to - 1) == '\t')) {
            to--;
        }
        return text.substring(from, to);
    }
}
