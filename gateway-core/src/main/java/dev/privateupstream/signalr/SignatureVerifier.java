package dev.privateupstream.signalr;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks the {@code X-ASRS-Signature} of a SignalR upstream call against the configured access keys
 * (SPEC §6a).
 *
 * <p>The header holds comma-separated entries {@code sha256=HEX}, HEX being the HMAC-SHA256 of the
 * connection id (UTF-8) keyed with an access key (UTF-8). The service sends one entry per key it holds and
 * we hold up to two, so that keys rotate without downtime: the call is valid when any trimmed entry equals
 * the expected value under any configured key, compared case-insensitively as a whole ({@code SHA256=AB..}
 * equals {@code sha256=ab..}).
 *
 * <p>Instances are immutable and thread-safe. {@link Mac}s are not, so each thread keeps its own, one per
 * key, initialised once; the connection id is encoded into a reused per-thread buffer and the header is
 * compared char by char against the expected HMAC bytes, so a check builds no strings. (The JDK's
 * {@code Mac.doFinal} still allocates its 32-byte result internally.)
 */
public final class SignatureVerifier {

    private static final String ALGORITHM = "HmacSHA256";
    private static final String PREFIX = "sha256=";
    private static final int HMAC_BYTES = 32;
    /** {@code sha256=} and 64 hex digits: the only length an entry that can match has. */
    private static final int ENTRY_CHARS = PREFIX.length() + 2 * HMAC_BYTES;

    private final SecretKeySpec[] keys;
    private final ThreadLocal<PerThread> perThread;

    /**
     * Creates a verifier for these access keys. An empty list makes every present signature
     * {@link SignatureCheck#INVALID}.
     *
     * @throws IllegalArgumentException if a key is empty
     */
    public SignatureVerifier(List<String> accessKeys) {
        requireNonNull(accessKeys, "accessKeys");
        keys = new SecretKeySpec[accessKeys.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = secretKey(requireNonNull(accessKeys.get(i), "accessKeys[" + i + "]"), "accessKeys[" + i + "]");
        }
        perThread = ThreadLocal.withInitial(() -> new PerThread(keys));
    }

    /** The number of configured access keys. */
    public int keyCount() {
        return keys.length;
    }

    /**
     * Checks a signature header, the connection id given as text: it is signed as its UTF-8 encoding.
     *
     * @param connectionId the {@code X-ASRS-Connection-Id} value, or {@code null} when absent
     * @param signatureHeader the {@code X-ASRS-Signature} value, or {@code null} when absent
     * @return {@link SignatureCheck#MISSING} when the header is absent or blank, {@link SignatureCheck#INVALID}
     *         when the connection id is absent or empty or no entry matches, else {@link SignatureCheck#VALID}
     */
    public SignatureCheck check(CharSequence connectionId, CharSequence signatureHeader) {
        return check(connectionId, signatureHeader, false);
    }

    /**
     * Checks a signature header, the connection id given as an HTTP/1 decoder hands a header value over:
     * one char per byte on the wire (ISO-8859-1), as Netty's {@code HttpObjectDecoder} does. Those bytes are
     * the UTF-8 the service sent and signed, so they are signed as they are; a non-ASCII connection id
     * verifies here and not through {@link #check}. A char above {@code U+00FF}, which no such decoder
     * produces, stands for {@code ?}.
     *
     * @see #check(CharSequence, CharSequence)
     */
    public SignatureCheck checkWireValue(CharSequence connectionId, CharSequence signatureHeader) {
        return check(connectionId, signatureHeader, true);
    }

    private SignatureCheck check(CharSequence connectionId, CharSequence signatureHeader, boolean wireBytes) {
        if (signatureHeader == null || isBlank(signatureHeader)) {
            return SignatureCheck.MISSING;
        }
        if (connectionId == null || connectionId.length() == 0 || keys.length == 0) {
            return SignatureCheck.INVALID;
        }
        final PerThread state = perThread.get();
        state.computeExpected(connectionId, wireBytes);
        return matchesAny(signatureHeader, state.expected) ? SignatureCheck.VALID : SignatureCheck.INVALID;
    }

    /**
     * The header entry the service would send for this key and connection id: {@code sha256=} and the
     * lower-case hex HMAC.
     *
     * @throws IllegalArgumentException if the key is empty
     */
    public static String sign(String key, String connectionId) {
        requireNonNull(key, "key");
        requireNonNull(connectionId, "connectionId");
        final Mac mac = newMac(secretKey(key, "key"));
        final byte[] hmac = mac.doFinal(connectionId.getBytes(StandardCharsets.UTF_8));
        final StringBuilder text = new StringBuilder(ENTRY_CHARS).append(PREFIX);
        for (byte b : hmac) {
            text.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return text.toString();
    }

    /**
     * Compares every well-sized entry with every key's expected value in full, so the time taken does not
     * depend on where, or whether, an entry first differs from a valid signature.
     */
    private static boolean matchesAny(CharSequence header, byte[] expected) {
        final int keyCount = expected.length / HMAC_BYTES;
        final int length = header.length();
        int matched = 0;
        int start = 0;
        while (start <= length) {
            int end = start;
            while (end < length && header.charAt(end) != ',') {
                end++;
            }
            int from = start;
            int to = end;
            while (from < to && isWhitespace(header.charAt(from))) {
                from++;
            }
            while (to > from && isWhitespace(header.charAt(to - 1))) {
                to--;
            }
            // The entry length is public (it is on the wire), so skipping other lengths leaks nothing.
            if (to - from == ENTRY_CHARS) {
                for (int k = 0; k < keyCount; k++) {
                    matched |= isZero(difference(header, from, expected, k * HMAC_BYTES));
                }
            }
            start = end + 1;
        }
        return matched != 0;
    }

    /** Zero when the entry at {@code from} equals the expected text of the HMAC at {@code offset}. */
    private static int difference(CharSequence header, int from, byte[] expected, int offset) {
        int diff = 0;
        for (int i = 0; i < PREFIX.length(); i++) {
            diff |= toLowerAscii(header.charAt(from + i)) ^ PREFIX.charAt(i);
        }
        int at = from + PREFIX.length();
        for (int i = 0; i < HMAC_BYTES; i++) {
            final int b = expected[offset + i];
            diff |= toLowerAscii(header.charAt(at++)) ^ hexDigit((b >> 4) & 0xF);
            diff |= toLowerAscii(header.charAt(at++)) ^ hexDigit(b & 0xF);
        }
        return diff;
    }

    /** The lower-case hex digit of a nibble, without a branch on the (secret) nibble. */
    private static int hexDigit(int nibble) {
        // (9 - nibble) >> 31 is -1 exactly for 10..15, which then move from '0'+n to 'a'+n-10.
        return '0' + nibble + (((9 - nibble) >> 31) & ('a' - '0' - 10));
    }

    /** Folds only A-Z: folding by bit alone would make control characters equal to digits. */
    private static int toLowerAscii(char c) {
        return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
    }

    /** 1 when {@code diff} is 0, else 0, for a non-negative {@code diff}. */
    private static int isZero(int diff) {
        return (diff - 1) >>> 31;
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isBlank(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            if (!isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static SecretKeySpec secretKey(String key, String name) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException(name + ": \"\" (expected: a non-empty access key)");
        }
        return new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), ALGORITHM);
    }

    private static Mac newMac(SecretKeySpec key) {
        try {
            final Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            // Every Java SE platform must provide HmacSHA256, and any non-empty byte string is a valid key.
            throw new IllegalStateException(ALGORITHM + " unavailable", e);
        }
    }

    /** One thread's {@link Mac}s (they are not thread-safe) and buffers. */
    private static final class PerThread {
        private final Mac[] macs;
        /** The HMAC under each key, key after key. */
        final byte[] expected;
        /** The connection id's bytes (UTF-8), grown on demand. */
        private byte[] idBytes = new byte[64];

        PerThread(SecretKeySpec[] keys) {
            macs = new Mac[keys.length];
            for (int i = 0; i < keys.length; i++) {
                macs[i] = newMac(keys[i]);
            }
            expected = new byte[keys.length * HMAC_BYTES];
        }

        void computeExpected(CharSequence connectionId, boolean wireBytes) {
            final int length = wireBytes ? encodeLatin1(connectionId) : encodeUtf8(connectionId);
            try {
                for (int i = 0; i < macs.length; i++) {
                    macs[i].update(idBytes, 0, length);
                    macs[i].doFinal(expected, i * HMAC_BYTES);
                }
            } catch (ShortBufferException e) {
                throw new IllegalStateException("HMAC-SHA256 output is " + HMAC_BYTES + " bytes", e);
            }
        }

        /** Copies one byte per char into {@link #idBytes}, as {@link String#getBytes} with ISO-8859-1 does. */
        private int encodeLatin1(CharSequence text) {
            final int chars = text.length();
            if (idBytes.length < chars) {
                idBytes = new byte[chars];
            }
            for (int i = 0; i < chars; i++) {
                final char c = text.charAt(i);
                idBytes[i] = c <= 0xFF ? (byte) c : (byte) '?';
            }
            return chars;
        }

        /**
         * Encodes into {@link #idBytes} as {@link String#getBytes} with UTF-8 does (a lone surrogate becomes
         * {@code ?}), so that {@link #sign} and the check agree on every input.
         */
        private int encodeUtf8(CharSequence text) {
            final int chars = text.length();
            if (idBytes.length < chars * 3) {
                idBytes = new byte[chars * 3];
            }
            final byte[] out = idBytes;
            int n = 0;
            for (int i = 0; i < chars; i++) {
                final char c = text.charAt(i);
                if (c < 0x80) {
                    out[n++] = (byte) c;
                } else if (c < 0x800) {
                    out[n++] = (byte) (0xC0 | (c >> 6));
                    out[n++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < chars && Character.isLowSurrogate(text.charAt(i + 1))) {
                    final int cp = Character.toCodePoint(c, text.charAt(++i));
                    out[n++] = (byte) (0xF0 | (cp >> 18));
                    out[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    out[n++] = (byte) (0x80 | (cp & 0x3F));
                } else if (Character.isSurrogate(c)) {
                    out[n++] = '?';
                } else {
                    out[n++] = (byte) (0xE0 | (c >> 12));
                    out[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    out[n++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            return n;
        }
    }
}
