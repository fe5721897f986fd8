package dev.privateupstream.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as written in the configuration: a whole number of bytes, optionally followed by {@code KiB},
 * {@code MiB} or {@code GiB} (powers of 1024, any letter case, a space allowed before the unit).
 *
 * <p>{@code k}, {@code M}, {@code KB}, {@code MB} are refused rather than guessed: nginx reads
 * {@code 1m} as 1,048,576 bytes while SI reads {@code 1MB} as 1,000,000, and a limit off by 5% is the
 * kind of surprise a configuration should not hold.
 */
final class ByteSizeSyntax {
    private static final Pattern SIZE = Pattern.compile("(\\d+) ?([A-Za-z]*)");
    private static final String EXPECTED = "a number of bytes, or a whole number with KiB, MiB or GiB, such as 16KiB";

    private ByteSizeSyntax() {
    }

    /**
     * The size in bytes, between {@code min} and {@code max}.
     *
     * @throws IllegalArgumentException naming the text and the expected form or range
     */
    static long parse(String text, long min, long max) {
        Matcher matcher = SIZE.matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' (expected: " + EXPECTED + ")");
        }
        long unit;
        switch (matcher.group(2).toLowerCase(Locale.ROOT)) {
            case "":
            case "b":
                unit = 1;
                break;
            case "kib":
                unit = 1L << 10;
                break;
            case "mib":
                unit = 1L << 20;
                break;
            case "gib":
                unit = 1L << 30;
                break;
            default:
                throw new IllegalArgumentException("'" + text + "' (expected: " + EXPECTED
                        + "; SI and single-letter units are ambiguous and not accepted)");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(matcher.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            // Beyond 2^63-1 bytes: out of any range a limit can have.
            bytes = -1;
        }
        if (bytes < min || bytes > max) {
            throw new IllegalArgumentException("'" + text + "' (expected: from " + min + " to " + max + " bytes)");
        }
        return bytes;
    }
}
