package dev.privateupstream.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in the configuration: a number and a unit ({@code ms}, {@code s}, {@code m},
 * {@code h}), such as {@code 500ms}, {@code 10s}, {@code 1.5s}, {@code 2m}, {@code 1h}, or a sum of
 * them without spaces such as {@code 1m30s}. A bare {@code 0} is zero; any other number needs a unit,
 * because a bare {@code 30} could mean seconds or milliseconds.
 */
final class DurationSyntax {
    // "ms" before "m", so that 500ms is not read as 500 minutes followed by garbage.
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    private static final String EXPECTED = "a duration with a unit, such as 500ms, 10s, 1.5s, 2m or 1h";

    private DurationSyntax() {
    }

    /** @throws IllegalArgumentException naming the text and the expected form */
    static Duration parse(String text) {
        String trimmed = text.trim();
        if (trimmed.equals("0")) {
            return Duration.ZERO;
        }
        Matcher matcher = PART.matcher(trimmed);
        BigDecimal nanos = BigDecimal.ZERO;
        int position = 0;
        while (position < trimmed.length()) {
            if (!matcher.find(position) || matcher.start() != position) {
                throw new IllegalArgumentException("'" + text + "' (expected: " + EXPECTED + ")");
            }
            BigDecimal unit = BigDecimal.valueOf(unitNanos(matcher.group(2)));
            nanos = nanos.add(new BigDecimal(matcher.group(1)).multiply(unit));
            position = matcher.end();
        }
        if (position == 0) {
            throw new IllegalArgumentException("'" + text + "' (expected: " + EXPECTED + ")");
        }
        try {
            return Duration.ofNanos(nanos.setScale(0, RoundingMode.DOWN).longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' (expected: a duration of at most 292 years)");
        }
    }

    /** {@link #parse}, refusing zero: for timeouts, where zero would mean "fail at once". */
    static Duration parsePositive(String text) {
        Duration duration = parse(text);
        if (duration.isZero()) {
            throw new IllegalArgumentException("'" + text + "' (expected: a duration above zero, such as 10s)");
        }
        return duration;
    }

    private static long unitNanos(String unit) {
        switch (unit) {
            case "ms":
                return 1_000_000L;
            case "s":
                return 1_000_000_000L;
            case "m":
                return 60_000_000_000L;
            default:
                return 3_600_000_000_000L;
        }
    }
}
