package dev.privateupstream.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
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
import java.util.List;

/**
 * Netty's request decoder behind a strict check of each request head's raw bytes, decoding one request at
 * a time.
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
 */
public final class StrictHttpRequestDecoder extends HttpRequestDecoder {
    /** Longest request line accepted: longer is {@code 414}. */
    public static final int MAX_REQUEST_LINE = 8192;

    private enum State { HEAD, BODY, PAUSED, FAILED }

    private final int maxHeaderBytes;
    private State state = State.HEAD;
    // Scan progress through the pending head, relative to the reader index.
    private int scanPos;
    private int lineStart;
    private int line;
    private int headerBytes;
    private boolean headEventFired;

    public StrictHttpRequestDecoder(int maxHeaderBytes, int maxChunkSize) {
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
                state = State.BODY;
                headEventFired = false;
                decodeAndTrack(ctx, in, out);
                return;
            case BODY:
                decodeAndTrack(ctx, in, out);
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
     */
    private HeadScan scanHead(ByteBuf in) {
        final int base = in.readerIndex();
        final int end = in.writerIndex();
        int i = base + scanPos;
        while (i < end) {
            final byte b = in.getByte(i);
            if (b == '\r') {
                if (i + 1 >= end) {
                    break; // wait for the LF
                }
                if (in.getByte(i + 1) != '\n') {
                    return HeadScan.BARE_CR;
                }
                final int from = base + lineStart;
                final int lineLength = i - from;
                if (line == 0 && lineLength == 0) {
                    // an empty line before the request line
                } else if (line == 0) {
                    final HeadScan r = checkRequestLine(in, from, i);
                    if (r != HeadScan.OK) {
                        return r;
                    }
                    line++;
                } else if (lineLength == 0) {
                    resetScan();
                    return HeadScan.OK;
                } else {
                    headerBytes += lineLength + 2;
                    if (headerBytes > maxHeaderBytes) {
                        return HeadScan.HEADERS_TOO_LARGE;
                    }
                    final HeadScan r = checkHeaderLine(in, from, i);
                    if (r != HeadScan.OK) {
                        return r;
                    }
                    line++;
                }
                i += 2;
                lineStart = i - base;
                continue;
            }
            if (b == '\n') {
                return HeadScan.BARE_LF;
            }
            if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
                return HeadScan.CONTROL_CHARACTER;
            }
            i++;
            final int lineLength = i - (base + lineStart);
            if (line == 0 && lineLength > MAX_REQUEST_LINE) {
                return HeadScan.LINE_TOO_LONG;
            }
            if (line > 0 && headerBytes + lineLength > maxHeaderBytes) {
                return HeadScan.HEADERS_TOO_LARGE;
            }
        }
        scanPos = i - base;
        return HeadScan.INCOMPLETE;
    }

    private void resetScan() {
        scanPos = 0;
        lineStart = 0;
        line = 0;
        headerBytes = 0;
    }

    private static HeadScan checkRequestLine(ByteBuf in, int from, int to) {
        int spaces = 0;
        for (int i = from; i < to; i++) {
            final byte b = in.getByte(i);
            if (b == ' ') {
                if (i == from || in.getByte(i - 1) == ' ') {
                    return HeadScan.BAD_REQUEST_LINE;
                }
                spaces++;
            } else if (b < 0x21 || b > 0x7e) {
                // Targets are ASCII (RFC 3986); tabs, obs-text and raw UTF-8 have no place here.
                return HeadScan.BAD_REQUEST_LINE;
            }
        }
        return spaces == 2 && in.getByte(to - 1) != ' ' ? HeadScan.OK : HeadScan.BAD_REQUEST_LINE;
    }

    private static HeadScan checkHeaderLine(ByteBuf in, int from, int to) {
        final byte first = in.getByte(from);
        if (first == ' ' || first == '\t') {
            return HeadScan.OBSOLETE_FOLDING;
        }
        for (int i = from; i < to; i++) {
            final byte b = in.getByte(i);
            if (b == ':') {
                return i == from ? HeadScan.BAD_HEADER_NAME : HeadScan.OK;
            }
            if (!isTokenChar(b)) {
                return HeadScan.BAD_HEADER_NAME;
            }
        }
        return HeadScan.BAD_HEADER_NAME;
    }

    /** RFC 9110 tchar. */
    private static boolean isTokenChar(byte b) {
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
            return true;
        }
        switch (b) {
            case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
            case '.': case '^': case '_': case '`': case '|': case '~':
                return true;
            default:
                return false;
        }
    }
}
