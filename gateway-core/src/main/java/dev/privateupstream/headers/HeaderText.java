package dev.privateupstream.headers;

/**
 * Comparisons of header values in place, without copying or allocating: the checks on every call
 * (SignalR, Web PubSub) read headers this way on the hot path.
 */
public final class HeaderText {

    private HeaderText() {
    }

    public static boolean isEmpty(CharSequence value) {
        return value == null || value.length() == 0;
    }

    /** Case-sensitive equality, as HTTP methods and CloudEvents attributes compare. */
    public static boolean contentEquals(CharSequence text, String expected) {
        if (text.length() != expected.length()) {
            return false;
        }
        for (int i = 0; i < expected.length(); i++) {
            if (text.charAt(i) != expected.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Case-sensitive prefix test. */
    public static boolean startsWith(CharSequence text, String prefix) {
        if (text.length() < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (text.charAt(i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** ASCII case-insensitive comparison of {@code text[from, to)} with a lower-case {@code expected}. */
    public static boolean equalsIgnoreCase(CharSequence text, int from, int to, String expected) {
        if (to - from != expected.length()) {
            return false;
        }
        for (int i = 0; i < expected.length(); i++) {
            char c = text.charAt(from + i);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c | 0x20);
            }
            if (c != expected.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a {@code Content-Type} value names {@code mediaType} (lower case), ignoring letter case,
     * surrounding whitespace and parameters ({@code application/json; charset=utf-8}); {@code null} names none.
     */
    public static boolean isMediaType(CharSequence contentType, String mediaType) {
        final long bounds = mediaTypeBounds(contentType);
        return bounds >= 0 && equalsIgnoreCase(contentType, (int) (bounds >>> 32), (int) bounds, mediaType);
    }

    /** Whether a {@code Content-Type} value names one of two media types (see the one-type form). */
    public static boolean isMediaType(CharSequence contentType, String first, String second) {
        final long bounds = mediaTypeBounds(contentType);
        final int from = (int) (bounds >>> 32);
        final int to = (int) bounds;
        return bounds >= 0 && (equalsIgnoreCase(contentType, from, to, first)
                || equalsIgnoreCase(contentType, from, to, second));
    }

    /** Whether a {@code Content-Type} value names one of three media types (see the one-type form). */
    public static boolean isMediaType(CharSequence contentType, String first, String second, String third) {
        final long bounds = mediaTypeBounds(contentType);
        final int from = (int) (bounds >>> 32);
        final int to = (int) bounds;
        return bounds >= 0 && (equalsIgnoreCase(contentType, from, to, first)
                || equalsIgnoreCase(contentType, from, to, second) || equalsIgnoreCase(contentType, from, to, third));
    }

    /** Where the media type of a {@code Content-Type} value starts and ends, packed; -1 for {@code null}. */
    private static long mediaTypeBounds(CharSequence contentType) {
        if (contentType == null) {
            return -1;
        }
        int end = 0;
        while (end < contentType.length() && contentType.charAt(end) != ';') {
            end++;
        }
        int from = 0;
        while (from < end && isWhitespace(contentType.charAt(from))) {
            from++;
        }
        while (end > from && isWhitespace(contentType.charAt(end - 1))) {
            end--;
        }
        return (long) from << 32 | end;
    }

    public static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }
}
