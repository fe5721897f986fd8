package dev.privateupstream.upstream;

import dev.privateupstream.http.HeaderFields;
import dev.privateupstream.http.HttpChars;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.function.Supplier;

/**
 * The common backend response, decoded without Netty's general parser: a final status, clean
 * CRLF-delimited header lines and a body framed by one {@code Content-Length}. A response that is whole
 * in the buffer, as nearly every SignalR answer is, becomes one {@link DefaultFullHttpResponse} whose
 * body is a slice of the read buffer; a longer one a head and content parts. Header fields are read by
 * {@link HeaderFields}: views of one copy of the head, no string per field.
 *
 * <p>Anything else (chunked or close-delimited bodies, interim or bodiless statuses, the answer to
 * {@code HEAD}, a head that is unusual in any way or too large) is left to Netty's decoder behind this
 * one: from that response on, every byte of the connection passes through untouched. That switch happens
 * only at the start of a response, so Netty's decoder always starts at a message boundary, and it judges
 * every odd case as it did before this decoder existed.
 */
final class ContentLengthResponseDecoder extends ByteToMessageDecoder {
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final byte[] HTTP_1_X = HeaderFields.bytes("HTTP/1.");

    private final int maxHeadBytes;
    private final int maxChunk;
    private final Supplier<HttpMethod> requestMethod;
    private boolean delegating;
    /** Body bytes still to come of the response in progress; -1 between responses. */
    private long remaining = -1;
    // The head last parsed: one decoder per connection, one response at a time.
    private HttpVersion version;
    private HttpResponseStatus status;
    private HttpHeaders headers;
    private long length;

    /**
     * @param maxHeadBytes the status line and header block together may not be longer (Netty's limits
     *        judge a longer one)
     * @param requestMethod the method of the request the next response answers
     */
    ContentLengthResponseDecoder(int maxHeadBytes, int maxChunk, Supplier<HttpMethod> requestMethod) {
        this.maxHeadBytes = maxHeadBytes;
        this.maxChunk = maxChunk;
        this.requestMethod = requestMethod;
    }

    /** Whether the connection's responses now go to Netty's decoder (tests use it). */
    boolean delegating() {
        return delegating;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (delegating) {
            out.add(in.readRetainedSlice(in.readableBytes()));
            return;
        }
        if (remaining >= 0) {
            body(in, out);
            return;
        }
        final int headEnd = findHeadEnd(in);
        if (headEnd == INCOMPLETE) {
            return; // wait for the rest of the head
        }
        if (headEnd < 0 || !parse(in, in.readerIndex(), headEnd)) {
            delegate(in, out);
            return;
        }
        in.readerIndex(headEnd);
        if (in.readableBytes() >= length && length <= maxChunk) {
            out.add(new DefaultFullHttpResponse(version, status, in.readRetainedSlice((int) length), headers,
                    EmptyHttpHeaders.INSTANCE));
            return;
        }
        out.add(new DefaultHttpResponse(version, status, headers));
        remaining = length;
        body(in, out);
    }

    private void body(ByteBuf in, List<Object> out) {
        final int n = (int) Math.min(Math.min(remaining, in.readableBytes()), maxChunk);
        if (n == 0 && remaining > 0) {
            return;
        }
        remaining -= n;
        if (remaining == 0) {
            remaining = -1;
            out.add(new DefaultLastHttpContent(in.readRetainedSlice(n)));
        } else {
            out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (!delegating && remaining < 0 && in.isReadable()) {
            // The connection ended inside a head: Netty's decoder judges what there is.
            delegate(in, out);
            return;
        }
        super.decodeLast(ctx, in, out);
    }

    private void delegate(ByteBuf in, List<Object> out) {
        delegating = true;
        out.add(in.readRetainedSlice(in.readableBytes()));
    }

    private static final int INCOMPLETE = -1;
    private static final int UNUSUAL = -2;

    /**
     * The index just past the head's final CRLF CRLF; {@link #INCOMPLETE} while it may still come;
     * {@link #UNUSUAL} as soon as a complete line is not plain (Netty then judges it at the moment it
     * would have on its own), or the head is longer than allowed.
     */
    private int findHeadEnd(ByteBuf in) {
        final int start = in.readerIndex();
        final int limit = Math.min(in.writerIndex(), start + maxHeadBytes);
        int line = start;
        while (line < limit) {
            final int lf = in.indexOf(line, limit, (byte) '\n');
            if (lf < 0) {
                break;
            }
            final int cr = lf - 1;
            if (lf == line || in.getByte(cr) != '\r') {
                return UNUSUAL; // a bare LF
            }
            if (cr == line) {
                return line == start ? UNUSUAL : lf + 1; // the empty line; leading ones are Netty's
            }
            if (!(line == start ? plainStatusLine(in, line, cr) : plainHeaderLine(in, line, cr))) {
                return UNUSUAL;
            }
            line = lf + 1;
        }
        if (line == start && !plainStatusLineSoFar(in, start, Math.min(in.writerIndex(), limit))) {
            return UNUSUAL; // Netty may fail such a line before its end arrives: so must we hand it over
        }
        return in.writerIndex() - start >= maxHeadBytes ? UNUSUAL : INCOMPLETE;
    }

    /** Whether the start of a status line, {@code [from, to)}, can still become a plain one. */
    private static boolean plainStatusLineSoFar(ByteBuf in, int from, int to) {
        for (int i = from; i < to; i++) {
            final int at = i - from;
            final byte b = in.getByte(i);
            final boolean fits;
            if (at < HTTP_1_X.length) {
                fits = b == HTTP_1_X[at];
            } else if (at == 7) {
                fits = b == '0' || b == '1';
            } else if (at == 8) {
                fits = b == ' ';
            } else if (at < 12) {
                fits = b >= '0' && b <= '9';
            } else {
                // The reason (after a space), or the CR that ends the line as the last byte so far.
                fits = b == '\r' ? i == to - 1 : at == 12 ? b == ' ' : HttpChars.isFieldContent(b);
            }
            if (!fits) {
                return false;
            }
        }
        return true;
    }

    /** {@code HTTP/1.x SP 3DIGIT [SP reason]}, the reason without control bytes or blanks at its ends. */
    private static boolean plainStatusLine(ByteBuf in, int from, int to) {
        if (to - from < 12 || in.getByte(from + 8) != ' ' || !startsWith(in, from, HTTP_1_X)) {
            return false;
        }
        final byte minor = in.getByte(from + 7);
        for (int i = from + 9; i < from + 12; i++) {
            final byte b = in.getByte(i);
            if (b < '0' || b > '9') {
                return false;
            }
        }
        if (minor != '0' && minor != '1' || to - from > 12 && in.getByte(from + 12) != ' ') {
            return false;
        }
        final int reason = from + 13;
        return to <= reason || !HttpChars.isBlank(in.getByte(reason)) && !HttpChars.isBlank(in.getByte(to - 1))
                && in.forEachByte(reason, to - reason, HttpChars.FIELD_CONTENT) < 0;
    }

    /** A token name directly followed by its colon, and a value without control bytes. */
    private static boolean plainHeaderLine(ByteBuf in, int from, int to) {
        final int colon = in.forEachByte(from, to - from, HttpChars.TOKEN);
        return colon > from && in.getByte(colon) == ':'
                && (colon + 1 == to || in.forEachByte(colon + 1, to - colon - 1, HttpChars.FIELD_CONTENT) < 0);
    }

    /**
     * Reads the head in {@code [from, end)}, whose lines {@link #findHeadEnd} found plain, into the fields
     * of the response in progress; false when this decoder leaves it to Netty's.
     */
    private boolean parse(ByteBuf in, int from, int end) {
        final byte[] head = new byte[end - from];
        in.getBytes(from, head);
        int lineEnd = 12;
        while (head[lineEnd] != '\r') {
            lineEnd++;
        }
        final int code = (head[9] - '0') * 100 + (head[10] - '0') * 10 + head[11] - '0';
        // Interim, bodiless and odd statuses, and the answer to HEAD, are Netty's to frame.
        if (code < 200 || code > 599 || code == 204 || code == 304 || requestMethod.get() == HttpMethod.HEAD) {
            return false;
        }
        version = head[7] == '1' ? HttpVersion.HTTP_1_1 : HttpVersion.HTTP_1_0;
        status = status(code, head, Math.min(13, lineEnd), lineEnd);
        headers = HEADERS.newHeaders();
        length = HeaderFields.read(head, lineEnd + 2, head.length - 2, headers);
        return length >= 0;
    }

    /**
     * The status with the reason in {@code head[from, to)}: Netty's shared instance when the reason is the
     * standard one (no string is made), a new one otherwise.
     */
    private static HttpResponseStatus status(int code, byte[] head, int from, int to) {
        final HttpResponseStatus standard = HttpResponseStatus.valueOf(code);
        final AsciiString reason = new AsciiString(head, from, to - from, false);
        return standard.reasonPhrase().contentEquals(reason) ? standard : new HttpResponseStatus(code, reason.toString());
    }

    private static boolean startsWith(ByteBuf in, int from, byte[] text) {
        for (int i = 0; i < text.length; i++) {
            if (in.getByte(from + i) != text[i]) {
                return false;
            }
        }
        return true;
    }
}
