package dev.privateupstream.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * HTTP/1.1 on a backend connection: what Netty's {@code HttpClientCodec} does for the gateway, with the
 * common response decoded by {@link ContentLengthResponseDecoder} first. One request is in flight per
 * connection, so the method of the last request sent says how the next response is framed (the answer to
 * {@code HEAD} has no body whatever its headers say).
 */
public final class BackendHttpCodec {
    private BackendHttpCodec() {
    }

    /** Adds the codec's three handlers at the end of {@code pipeline} (the benchmarks use it too). */
    public static void addTo(ChannelPipeline pipeline, int maxStatusLine, int maxHeaderBytes, int maxChunk) {
        final MethodRecordingEncoder encoder = new MethodRecordingEncoder();
        pipeline.addLast("response-fast", new ContentLengthResponseDecoder(maxHeaderBytes, maxChunk, encoder::method))
                .addLast("response-decoder", new ResponseDecoder(maxStatusLine, maxHeaderBytes, maxChunk, encoder))
                .addLast("request-encoder", encoder);
    }

    /**
     * Encodes requests and remembers the method of the last one. A whole request whose body is small goes out
     * as one buffer, head and body together: one entry in the channel's outbound buffer and one plain
     * {@code send}, where Netty's encoder would hand on the head and the body as two buffers (a {@code writev}
     * of two) whenever the body does not fit the head buffer's spare room. Everything else, and any request
     * with {@code Transfer-Encoding}, is Netty's encoder's to frame.
     */
    static final class MethodRecordingEncoder extends HttpRequestEncoder {
        /** Bodies up to this size are copied behind the head; larger ones are passed on as they are. */
        static final int ONE_BUFFER_BODY = 4096;
        private static final short CRLF = (short) ('\r' << 8 | '\n');

        private HttpMethod method;
        /** A request head has gone to Netty's encoder and its last content has not: it frames the rest. */
        private boolean inMessage;
        /** The size of the last head written here, to size the next buffer. */
        private int headBytes = 256;

        HttpMethod method() {
            return method;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (!inMessage && msg instanceof FullHttpRequest) {
                final FullHttpRequest request = (FullHttpRequest) msg;
                if (request.content().readableBytes() <= ONE_BUFFER_BODY
                        && !request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
                    ctx.write(oneBuffer(ctx, request), promise);
                    return;
                }
            }
            if (msg instanceof HttpMessage || msg instanceof LastHttpContent) {
                inMessage = !(msg instanceof LastHttpContent);
            }
            super.write(ctx, msg, promise);
        }

        /** What Netty's encoder writes for a whole request without chunked coding, in one buffer. */
        private ByteBuf oneBuffer(ChannelHandlerContext ctx, FullHttpRequest request) {
            final ByteBuf body = request.content();
            final ByteBuf buf = ctx.alloc().buffer(headBytes + 64 + body.readableBytes());
            try {
                encodeInitialLine(buf, request);
                encodeHeaders(request.headers(), buf);
                buf.writeShort(CRLF);
                headBytes = buf.readableBytes();
                buf.writeBytes(body, body.readerIndex(), body.readableBytes());
                return buf;
            } catch (Throwable t) {
                buf.release();
                throw t instanceof EncoderException ? (EncoderException) t : new EncoderException(t);
            } finally {
                request.release();
            }
        }

        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
            method = request.method();
            super.encodeInitialLine(buf, request);
        }
    }

    /** Netty's response decoder, told that the answer to {@code HEAD} carries no body. */
    static final class ResponseDecoder extends HttpResponseDecoder {
        private final MethodRecordingEncoder requests;

        ResponseDecoder(int maxStatusLine, int maxHeaderBytes, int maxChunk, MethodRecordingEncoder requests) {
            super(maxStatusLine, maxHeaderBytes, maxChunk);
            this.requests = requests;
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            if (msg instanceof HttpResponse
                    && ((HttpResponse) msg).status().codeClass() != HttpStatusClass.INFORMATIONAL
                    && requests.method() == HttpMethod.HEAD) {
                return true;
            }
            return super.isContentAlwaysEmpty(msg);
        }
    }
}
