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
    private static final byte[] HTTP_1_1 = HeaderFields.bytes("HTTP/1.1");
    private static final byte[] HTTP_1_0 = HeaderFields.bytes("HTTP/1.0");

    private final int maxHeadBytes;
    private final int maxChunk;
    private final Supplier<HttpMethod> requestMethod;
    private boolean delegating;
    /** Body bytes still to come of the response in progress; -1 between responses. */
    private long remaining = -1;

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
        final Head head = headEnd < 0 ? null : parse(in, in.readerIndex(), headEnd);
        if (head == null) {
            delegate(in, out);
            return;
        }
        in.readerIndex(headEnd);
        if (in.readableBytes() >= head.length && head.length <= maxChunk) {
            out.add(new DefaultFullHttpResponse(head.version, head.status,
                    in.readRetainedSlice((int) head.length), head.headers, EmptyHttpHeaders.INSTANCE));
            return;
        }
        out.add(new DefaultHttpResponse(head.version, head.status, head.headers));
        remaining = head.length;
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
     * {@link #UNUSUAL} when the head is longer than allowed or has a bare LF (Netty decides then).
     */
    private int findHeadEnd(ByteBuf in) {
        final int start = in.readerIndex();
        final int limit = Math.min(in.writerIndex(), start + maxHeadBytes);
        int i = start;
        while (i < limit) {
            final int lf = in.indexOf(i, limit, (byte) '\n');
            if (lf < 0) {
                break;
            }
            if (lf == start || in.getByte(lf - 1) != '\r') {
                return UNUSUAL;
            }
            if (lf - start >= 3 && in.getByte(lf - 2) == '\n') {
                return lf + 1;
            }
            i = lf + 1;
        }
        return in.writerIndex() - start >= maxHeadBytes ? UNUSUAL : INCOMPLETE;
    }

    private record Head(HttpVersion version, HttpResponseStatus status, HttpHeaders headers, long length) {
    }

    /** The head in {@code [from, end)}, or {@code null} when this decoder leaves it to Netty's. */
    private Head parse(ByteBuf in, int from, int end) {
        final byte[] head = new byte[end - from];
        in.getBytes(from, head);
        // Status line: HTTP/1.x SP 3DIGIT SP [reason] CRLF, as RFC 9112 §4 writes it.
        int lineEnd = 0;
        while (head[lineEnd] != '\r' && head[lineEnd] != '\n') {
            lineEnd++;
        }
        if (lineEnd < 12 || head[lineEnd] != '\r' || head[8] != ' ' || lineEnd > 12 && head[12] != ' ') {
            return null; // also a status line without the space before an empty reason: Netty's
        }
        final HttpVersion version;
        if (HeaderFields.startsWith(head, 0, HTTP_1_1)) {
            version = HttpVersion.HTTP_1_1;
        } else if (HeaderFields.startsWith(head, 0, HTTP_1_0)) {
            version = HttpVersion.HTTP_1_0;
        } else {
            return null;
        }
        int code = 0;
        for (int i = 9; i < 12; i++) {
            final byte b = head[i];
            if (b < '0' || b > '9') {
                return null;
            }
            code = code * 10 + b - '0';
        }
        // Interim, bodiless and odd statuses, and the answer to HEAD, are Netty's to frame.
        if (code < 200 || code > 599 || code == 204 || code == 304 || requestMethod.get() == HttpMethod.HEAD) {
            return null;
        }
        final HttpResponseStatus status = status(code, head, Math.min(13, lineEnd), lineEnd);
        if (status == null) {
            return null;
        }
        final HttpHeaders headers = HEADERS.newHeaders();
        final long length = HeaderFields.read(head, lineEnd + 2, head.length - 2, headers, false);
        return length < 0 ? null : new Head(version, status, headers, length);
    }

    /**
     * The status with the reason in {@code head[from, to)}: Netty's shared instance when the reason is the
     * standard one (no string is made), a new one otherwise, {@code null} for a control byte.
     */
    private static HttpResponseStatus status(int code, byte[] head, int from, int to) {
        final HttpResponseStatus standard = HttpResponseStatus.valueOf(code);
        final AsciiString reason = new AsciiString(head, from, to - from, false);
        if (standard.reasonPhrase().contentEquals(reason)) {
            return standard;
        }
        if (to > from && (HttpChars.isBlank(head[from]) || HttpChars.isBlank(head[to - 1]))) {
            return null; // Netty trims a reason: let it
        }
        for (int i = from; i < to; i++) {
            if (!HttpChars.isFieldContent(head[i])) {
                return null;
            }
        }
        return new HttpResponseStatus(code, reason.toString());
    }
}
