package dev.privateupstream.http;

import io.netty.util.ByteProcessor;

/**
 * The RFC 9110 character classes the gateway's own HTTP scans use, per byte and as {@link ByteProcessor}s
 * for {@code ByteBuf.forEachByte} (which go on while a byte is in the class).
 */
public final class HttpChars {
    /** Field content: any byte but a control byte, tab excepted (obs-text above 0x7F included). */
    public static final ByteProcessor FIELD_CONTENT = HttpChars::isFieldContent;
    /** tchar: the characters of a header name or a method. */
    public static final ByteProcessor TOKEN = HttpChars::isToken;

    private static final boolean[] TOKEN_TABLE = new boolean[256];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN_TABLE[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN_TABLE[c] = true;
            TOKEN_TABLE[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN_TABLE[c] = true;
        }
    }

    private HttpChars() {
    }

    public static boolean isToken(byte b) {
        return TOKEN_TABLE[b & 0xff];
    }

    public static boolean isFieldContent(byte b) {
        return (b >= 0x20 || b == '\t' || b < 0) && b != 0x7f;
    }

    /** Optional whitespace: space or tab. */
    public static boolean isBlank(byte b) {
        return b == ' ' || b == '\t';
    }
}
