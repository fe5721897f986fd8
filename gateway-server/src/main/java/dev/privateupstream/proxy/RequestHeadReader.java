package dev.privateupstream.proxy;

import dev.privateupstream.http.HeaderFields;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * Turns a request head that {@link StrictHttpRequestDecoder}'s scan accepted into an {@link HttpRequest}
 * without a second parse by Netty, when the head is the common kind: a request line at its start with a
 * well-known method and {@code HTTP/1.1} or {@code HTTP/1.0}, and header fields that {@link HeaderFields}
 * reads (no {@code Transfer-Encoding}, at most one plain {@code Content-Length}). For any other head it
 * answers {@code null} and Netty's decoder does what it did before this reader existed.
 *
 * <p>One per connection: the parts of the last head read are kept in fields, and the decoder then makes
 * the one message it needs of them ({@link #head()} or {@link #whole(ByteBuf)}).
 */
final class RequestHeadReader {
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final HttpMethod[] METHODS = {
        HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.HEAD, HttpMethod.OPTIONS,
        HttpMethod.PATCH, HttpMethod.TRACE,
    };
    private static final byte[][] METHOD_NAMES = new byte[METHODS.length][];
    private static final byte[] HTTP_1_1 = HeaderFields.bytes("HTTP/1.1");
    private static final byte[] HTTP_1_0 = HeaderFields.bytes("HTTP/1.0");

    static {
        for (int i = 0; i < METHODS.length; i++) {
            METHOD_NAMES[i] = HeaderFields.bytes(METHODS[i].name());
        }
    }

    private HttpVersion version;
    private HttpMethod method;
    private String target;
    private HttpHeaders headers;
    private long contentLength;

    /**
     * Reads the scanned head {@code head[0, length)} (the request line, the header lines and the empty
     * line); false when Netty's decoder should read it.
     */
    boolean read(byte[] head, int length) {
        int lineEnd = 0;
        while (head[lineEnd] != '\r') {
            lineEnd++; // the scan guarantees a CRLF; an empty first line means leading CRLFs: not ours
        }
        final HttpMethod method = method(head);
        if (method == null) {
            return false;
        }
        final int targetFrom = method.name().length() + 1;
        final int versionFrom = lineEnd - HTTP_1_1.length;
        // The scan left exactly two single spaces: the target runs up to the second.
        if (versionFrom <= targetFrom || head[versionFrom - 1] != ' ') {
            return false;
        }
        final HttpVersion version;
        if (HeaderFields.startsWith(head, versionFrom, HTTP_1_1)) {
            version = HttpVersion.HTTP_1_1;
        } else if (HeaderFields.startsWith(head, versionFrom, HTTP_1_0)) {
            version = HttpVersion.HTTP_1_0;
        } else {
            return false;
        }
        final HttpHeaders headers = HEADERS.newHeaders();
        // Header lines run from after the request line to before the final empty line.
        final long framing = HeaderFields.read(head, lineEnd + 2, length - 2, headers);
        if (framing == HeaderFields.UNUSUAL) {
            return false;
        }
        this.version = version;
        this.method = method;
        this.target = new String(head, targetFrom, versionFrom - 1 - targetFrom, StandardCharsets.ISO_8859_1);
        this.headers = headers;
        this.contentLength = Math.max(0, framing);
        return true;
    }

    /** The body length of the request last read: 0 when it has none. */
    long contentLength() {
        return contentLength;
    }

    /** The request last read, as a head its body parts follow. */
    HttpRequest head() {
        return new DefaultHttpRequest(version, method, target, headers);
    }

    /** The request last read with its whole body (no trailers: a Content-Length body has none). */
    FullHttpRequest whole(ByteBuf body) {
        return new DefaultFullHttpRequest(version, method, target, body, headers, EmptyHttpHeaders.INSTANCE);
    }

    private static HttpMethod method(byte[] head) {
        for (int i = 0; i < METHODS.length; i++) {
            final byte[] name = METHOD_NAMES[i];
            if (head.length > name.length && head[name.length] == ' ' && HeaderFields.startsWith(head, 0, name)) {
                return METHODS[i];
            }
        }
        return null;
    }
}
