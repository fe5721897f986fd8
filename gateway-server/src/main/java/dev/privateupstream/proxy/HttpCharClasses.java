package dev.privateupstream.proxy;

import io.netty.util.ByteProcessor;

/**
 * The RFC 9110 character classes the gateway's own HTTP scans use, as {@link ByteProcessor}s for
 * {@code ByteBuf.forEachByte}: each goes on while the byte is in its class and stops at the first that is
 * not.
 */
public final class HttpCharClasses {
    /** Field content: any byte but a control byte (tab is allowed, as are bytes above 0x7F). */
    public static final ByteProcessor FIELD_CHAR = b -> (b >= 0x20 || b == '\t' || b < 0) && b != 0x7f;

    /** tchar: the characters of a header name or a method. */
    public static final ByteProcessor TOKEN_CHAR;

    /** Visible ASCII: no space, no control byte, nothing above 0x7E. */
    public static final ByteProcessor VISIBLE_ASCII = b -> b > 0x20 && b < 0x7f;

    static {
        final boolean[] token = new boolean[128];
        for (char c = '0'; c <= '9'; c++) {
            token[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            token[c] = true;
            token[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            token[c] = true;
        }
        TOKEN_CHAR = b -> b >= 0 && token[b];
    }

    private HttpCharClasses() {
    }
}
