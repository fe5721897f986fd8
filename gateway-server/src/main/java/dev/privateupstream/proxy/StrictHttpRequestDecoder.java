package dev.privateupstream.proxy;

import dev.privateupstream.http.HttpChars;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ByteProcessor;
import java.util.List;

/**
 * A strict check of each request head's raw bytes, then the head read by {@link RequestHeadReader} when
 * it is the common kind and by Netty's request decoder otherwise, one request at a time.
 *
 * <p>Netty unfolds obsolete line folding and tolerates some bytes a proxy must not pass on, because two
 * parsers that disagree on where a request ends are how requests get smuggled. So before Netty sees a
 * head, the whole head is scanned once: CRLF line endings only (no bare CR or LF), no NUL or other control
 * bytes, no folded lines, header names made of RFC 9110 token characters directly followed by a colon,
 * exactly two spaces in the request line, the request line at most 8 KiB and the header block at most
 * {@code maxHeaderBytes}. A head that fails is passed on as one request whose decoder result is a failure
 * ({@link TooLongHttpLineException} for 414, {@link TooLongHttpHeaderException} for 431, otherwise 400),
 * and everything after it is discarded: the connection is closed by whoever answers.
 *
 * <p>After a request's last content the decoder pauses, leaving pipelined bytes in its buffer and reading
 * nothing more from the socket, until {@link #resume(ChannelHandlerContext)} says the response is written.
 * That keeps exchanges in order and bounds what a pipelining client can make the gateway hold.
 *
 * <p>A request whose head and {@code Content-Length} body are both buffered goes on as one
 * {@link FullHttpRequest}; others as a head followed by content parts. Netty's decoder only ever starts at
 * a request boundary: a request read without it is consumed whole, body included, before the next head.
 */
public final class StrictHttpRequestDecoder extends HttpRequestDecoder {
    /** Longest request line accepted: longer is {@code 414}. */
    public static final int MAX_REQUEST_LINE = 8192;

    /** HEAD: scanning a head; BODY: Netty decodes the rest of a request; FIXED_BODY: our own body parts. */
    private enum State { HEAD, BODY, FIXED_BODY, PAUSED, FAILED }

    private final int maxHeaderBytes;
    private final int maxChunkSize;
    /** Null when every head goes to Netty's decoder (tests compare the two). */
    private final RequestHeadReader reader;
    private State state = State.HEAD;
    /** Body bytes still to come of a request read by {@link #reader}. */
    private long bodyRemaining;
    /** Length of the head the last successful scan found, its final CRLF included. */
    private int headLength;
    // Scan progress through the pending head, relative to the reader index.
    private int scanPos;
    private int lineStart;
    private int line;
    private int headerBytes;
    private boolean headEventFired;

    public StrictHttpRequestDecoder(int maxHeaderBytes, int maxChunkSize) {
        this(maxHeaderBytes, maxChunkSize, true);
    }

    /** With {@code readCommonHeads} false every head goes to Netty's parser (tests compare the two paths). */
    StrictHttpRequestDecoder(int maxHeaderBytes, int maxChunkSize, boolean readCommonHeads) {
        super(new HttpDecoderConfig()
                // The scan below is the authority on sizes; Netty's own limits sit just above it.
                .setMaxInitialLineLength(MAX_REQUEST_LINE + 2)
                .setMaxHeaderSize(maxHeaderBytes + 2)
                .setMaxChunkSize(maxChunkSize)
                .setValidateHeaders(true)
                // The head scan has already checked every name (token characters up to the colon) and
                // every value (no control bytes but tab): Netty need not check them again. Trailers
                // are not scanned, so Netty keeps checking those.
                .setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withValidation(false))
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setAllowPartialChunks(true));
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxChunkSize = maxChunkSize;
        this.reader = readCommonHeads ? new RequestHeadReader() : null;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        switch (state) {
            case PAUSED:
                return;
            case FAILED:
                in.skipBytes(in.readableBytes());
                return;
            case HEAD:
                if (!in.isReadable()) {
                    return;
                }
                if (!headEventFired) {
                    headEventFired = true;
                    ctx.fireUserEventTriggered(RequestHeadEvent.STARTED);
                }
                final HeadScan result = scanHead(in);
                if (result == HeadScan.INCOMPLETE) {
                    return;
                }
                if (result != HeadScan.OK) {
                    fail(in, out, result);
                    return;
                }
                headEventFired = false;
                if (reader != null && readCommonHead(in, out)) {
                    return;
                }
                state = State.BODY;
                decodeAndTrack(ctx, in, out);
                return;
            case BODY:
                decodeAndTrack(ctx, in, out);
                return;
            case FIXED_BODY:
                readBody(in, out);
                return;
            default:
                throw new IllegalStateException("state: " + state);
        }
    }

    private void decodeAndTrack(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        final int before = out.size();
        super.decode(ctx, in, out);
        // Netty stops after a head; a body already buffered is decoded now, so the two can go on as one.
        while (out.size() > before && isBareHead(out.get(out.size() - 1)) && in.isReadable()) {
            final int size = out.size();
            final int readable = in.readableBytes();
            super.decode(ctx, in, out);
            if (out.size() == size && in.readableBytes() == readable) {
                break;
            }
        }
        for (int i = before; i < out.size(); i++) {
            final Object msg = out.get(i);
            if (msg instanceof HttpMessage && ((HttpMessage) msg).decoderResult().isFailure()) {
                // Netty found the request malformed; it discards the rest itself, and so do we.
                state = State.FAILED;
                return;
            }
            if (msg instanceof LastHttpContent) {
                state = State.PAUSED;
                if (((LastHttpContent) msg).decoderResult().isFailure()) {
                    state = State.FAILED;
                    return;
                }
                coalesce(out, i);
                return;
            }
        }
    }

    /**
     * Reads the scanned head with {@link RequestHeadReader} when it is the common kind, and its body when
     * that is framed by {@code Content-Length}: a body already buffered goes on with the head as one
     * {@link FullHttpRequest} (up to {@code maxChunkSize}), others as parts of at most that, as Netty's do.
     * Netty's decoder never sees such a request, and stays at the start of a message for the next one.
     *
     * @return false when the head is for Netty's decoder (nothing was consumed)
     */
    private boolean readCommonHead(ByteBuf in, List<Object> out) {
        final byte[] head = new byte[headLength];
        in.getBytes(in.readerIndex(), head);
        if (!reader.read(head, headLength)) {
            return false;
        }
        in.skipBytes(headLength);
        final long length = reader.contentLength();
        if (length <= in.readableBytes() && length <= maxChunkSize) {
            out.add(reader.whole(length == 0 ? Unpooled.EMPTY_BUFFER : in.readRetainedSlice((int) length)));
            state = State.PAUSED;
            return true;
        }
        out.add(reader.head());
        bodyRemaining = length;
        state = State.FIXED_BODY;
        readBody(in, out);
        return true;
    }

    private void readBody(ByteBuf in, List<Object> out) {
        final int n = (int) Math.min(Math.min(bodyRemaining, in.readableBytes()), maxChunkSize);
        if (n == 0) {
            return;
        }
        bodyRemaining -= n;
        if (bodyRemaining == 0) {
            out.add(new DefaultLastHttpContent(in.readRetainedSlice(n)));
            state = State.PAUSED;
        } else {
            out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
        }
    }

    private static boolean isBareHead(Object msg) {
        return msg instanceof HttpRequest && !(msg instanceof LastHttpContent)
                && ((HttpRequest) msg).decoderResult().isSuccess();
    }

    /**
     * A request whose head and whole body came in one read, as nearly every SignalR call does, goes on as
     * one {@link FullHttpRequest}: through the pipeline once, and to the backend in one write. Only a body
     * framed by {@code Content-Length}, whose size the head already told {@link LimitsHandler}; a chunked
     * body keeps its parts, which are counted as they come.
     */
    private static void coalesce(List<Object> out, int lastIndex) {
        if (lastIndex == 0 || !(out.get(lastIndex - 1) instanceof HttpRequest)) {
            return;
        }
        final HttpRequest head = (HttpRequest) out.get(lastIndex - 1);
        final LastHttpContent body = (LastHttpContent) out.get(lastIndex);
        if (head instanceof FullHttpRequest || head.decoderResult().isFailure()
                || head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING) || !body.trailingHeaders().isEmpty()) {
            return;
        }
        final FullHttpRequest whole = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                body.content(), head.headers(), body.trailingHeaders());
        whole.setDecoderResult(head.decoderResult());
        out.set(lastIndex - 1, whole);
        out.remove(lastIndex);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (state == State.PAUSED) {
            // Do not ask for more bytes while an exchange is in progress; resume() will.
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    /**
     * The response to the current request is written: decode the next pipelined request, or read the
     * socket for one. Runs as a task so it never re-enters a decode in progress.
     */
    public void resume(ChannelHandlerContext decoderCtx) {
        decoderCtx.executor().execute(() -> {
            if (state != State.PAUSED || decoderCtx.isRemoved()) {
                return;
            }
            state = State.HEAD;
            final ByteBuf buffered = internalBuffer();
            if (buffered.isReadable()) {
                try {
                    channelRead(decoderCtx, Unpooled.EMPTY_BUFFER);
                    channelReadComplete(decoderCtx);
                } catch (Exception e) {
                    decoderCtx.fireExceptionCaught(e);
                }
                if (state == State.HEAD) {
                    // Only part of the next head was buffered; the rest is still in the socket. The base
                    // class would not ask for it: it still counts the messages of the previous exchange,
                    // whose read completed while we were paused.
                    decoderCtx.read();
                }
            } else {
                decoderCtx.read();
            }
        });
    }

    /**
     * The connection is closing: drop everything buffered and everything still to come, so a client that
     * keeps sending cannot make the decoder hold it.
     */
    void discardInput() {
        state = State.FAILED;
        final ByteBuf buffered = internalBuffer();
        buffered.skipBytes(buffered.readableBytes());
    }

    /** Whether the decoder waits for {@link #resume} (tests use it). */
    boolean paused() {
        return state == State.PAUSED;
    }

    private void fail(ByteBuf in, List<Object> out, HeadScan result) {
        state = State.FAILED;
        in.skipBytes(in.readableBytes());
        final HttpRequest bad = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request",
                Unpooled.EMPTY_BUFFER);
        final Exception cause;
        switch (result) {
            case LINE_TOO_LONG:
                cause = new TooLongHttpLineException("request line over " + MAX_REQUEST_LINE + " bytes");
                break;
            case HEADERS_TOO_LARGE:
                cause = new TooLongHttpHeaderException("header block over " + maxHeaderBytes + " bytes");
                break;
            default:
                cause = new IllegalArgumentException(result.message);
                break;
        }
        bad.setDecoderResult(DecoderResult.failure(cause));
        out.add(bad);
    }

    enum HeadScan {
        OK(null),
        INCOMPLETE(null),
        LINE_TOO_LONG("request line too long"),
        HEADERS_TOO_LARGE("header block too large"),
        BARE_CR("bare CR in request head"),
        BARE_LF("bare LF in request head (lines must end with CRLF)"),
        CONTROL_CHARACTER("control character in request head"),
        OBSOLETE_FOLDING("obsolete line folding in request head"),
        BAD_REQUEST_LINE("malformed request line"),
        BAD_HEADER_NAME("malformed header name");

        final String message;

        HeadScan(String message) {
            this.message = message;
        }
    }

    /**
     * Scans the head from the reader index, resuming where the previous call stopped (offsets are kept
     * relative to the reader index, which does not move until the head is complete). Leading empty lines
     * before the request line are allowed (RFC 9112 §2.2) and left to Netty to skip.
     *
     * <p>Runs of ordinary bytes are skipped with {@link ByteBuf#forEachByte}, which checks bounds once per
     * run instead of once per byte; the scan stops at a CR, LF or control byte, and never runs past the
     * size limit of the line it is in.
     */
    private HeadScan scanHead(ByteBuf in) {
        final int base = in.readerIndex();
        final int end = in.writerIndex();
        int i = base + scanPos;
        while (i < end) {
            final int lineFrom = base + lineStart;
            // Bytes this line may still take before it is too long: one more is read to tell.
            final long room = line == 0 ? MAX_REQUEST_LINE - (i - lineFrom)
                    : (long) maxHeaderBytes - headerBytes - (i - lineFrom);
            final int limit = (int) Math.min(end, i + Math.max(0, room) + 1);
            final int stop = i < limit ? in.forEachByte(i, limit - i, STOP_AT_CONTROL) : i;
            if (stop < 0) {
                i = limit;
                if (i - lineFrom > (line == 0 ? MAX_REQUEST_LINE : maxHeaderBytes - headerBytes)) {
                    return line == 0 ? HeadScan.LINE_TOO_LONG : HeadScan.HEADERS_TOO_LARGE;
                }
                continue; // i == end: wait for more
            }
            i = stop;
            final byte b = in.getByte(i);
            if (b == '\n') {
                return HeadScan.BARE_LF;
            }
            if (b != '\r') {
                return HeadScan.CONTROL_CHARACTER;
            }
            if (i + 1 >= end) {
                break; // wait for the LF
            }
            if (in.getByte(i + 1) != '\n') {
                return HeadScan.BARE_CR;
            }
            final int lineLength = i - lineFrom;
            if (line == 0 && lineLength == 0) {
                // an empty line before the request line
            } else if (line == 0) {
                final HeadScan r = checkRequestLine(in, lineFrom, i);
                if (r != HeadScan.OK) {
                    return r;
                }
                line++;
            } else if (lineLength == 0) {
                headLength = i + 2 - base;
                resetScan();
                return HeadScan.OK;
            } else {
                headerBytes += lineLength + 2;
                if (headerBytes > maxHeaderBytes) {
                    return HeadScan.HEADERS_TOO_LARGE;
                }
                final HeadScan r = checkHeaderLine(in, lineFrom, i);
                if (r != HeadScan.OK) {
                    return r;
                }
                line++;
            }
            i += 2;
            lineStart = i - base;
        }
        scanPos = i - base;
        return HeadScan.INCOMPLETE;
    }

    /** Stops at CR, LF and every other control byte but tab. */
    private static final ByteProcessor STOP_AT_CONTROL = HttpChars.FIELD_CONTENT;

    private void resetScan() {
        scanPos = 0;
        lineStart = 0;
        line = 0;
        headerBytes = 0;
    }

    /** Exactly three non-empty parts of visible ASCII separated by single spaces. */
    private static HeadScan checkRequestLine(ByteBuf in, int from, int to) {
        int spaces = 0;
        int i = from;
        while (true) {
            final int stop = in.forEachByte(i, to - i, VISIBLE_ASCII);
            if (stop < 0) {
                return spaces == 2 ? HeadScan.OK : HeadScan.BAD_REQUEST_LINE;
            }
            // Targets are ASCII (RFC 3986); tabs, obs-text and raw UTF-8 have no place here, nor do empty
            // parts (a leading, doubled or trailing space).
            if (in.getByte(stop) != ' ' || stop == i || ++spaces > 2 || stop + 1 == to) {
                return HeadScan.BAD_REQUEST_LINE;
            }
            i = stop + 1;
        }
    }

    private static HeadScan checkHeaderLine(ByteBuf in, int from, int to) {
        final byte first = in.getByte(from);
        if (first == ' ' || first == '\t') {
            return HeadScan.OBSOLETE_FOLDING;
        }
        final int stop = in.forEachByte(from, to - from, HttpChars.TOKEN);
        return stop > from && in.getByte(stop) == ':' ? HeadScan.OK : HeadScan.BAD_HEADER_NAME;
    }

    private static final ByteProcessor VISIBLE_ASCII = b -> b > 0x20 && b < 0x7f;
}
