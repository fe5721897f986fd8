package dev.privateupstream.simulator;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Collects one request at a time (head, then body chunks copied out of their buffers), records it and writes
 * the {@link FunctionsTrigger}'s answer. One instance per connection: it holds the request in progress.
 *
 * <p>Aggregates by hand rather than through {@code HttpObjectAggregator}, which would replace
 * {@code Transfer-Encoding: chunked} with a {@code Content-Length} and so record headers that never crossed
 * the wire.
 */
final class FunctionsBackendHandler extends ChannelInboundHandlerAdapter {

    private final FunctionsTrigger trigger;
    private final Consumer<ReceivedRequest> recorder;
    private HttpRequest head;
    private ByteArrayOutputStream body;
    /** The rest of a refused request is read and dropped until the connection closes. */
    private boolean discarding;

    FunctionsBackendHandler(FunctionsTrigger trigger, Consumer<ReceivedRequest> recorder) {
        this.trigger = trigger;
        this.recorder = recorder;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Every message ends here: its bytes are copied, then it is released.
        try {
            if (msg instanceof HttpObject object) {
                read(ctx, object);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void read(ChannelHandlerContext ctx, HttpObject msg) {
        if (discarding) {
            return;
        }
        if (msg.decoderResult().isFailure()) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST);
            return;
        }
        if (msg instanceof HttpRequest request) {
            head = request;
            body = new ByteArrayOutputStream();
        }
        if (msg instanceof HttpContent content && head != null) {
            final ByteBuf data = content.content();
            if (body.size() + data.readableBytes() > FunctionsBackend.MAX_BODY_BYTES) {
                refuse(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
                return;
            }
            body.writeBytes(ByteBufUtil.getBytes(data));
        }
        if (msg instanceof LastHttpContent && head != null) {
            answer(ctx);
        }
    }

    private void answer(ChannelHandlerContext ctx) {
        final List<HeaderField> headers = new ArrayList<>(head.headers().size());
        for (Map.Entry<String, String> header : head.headers()) {
            headers.add(new HeaderField(header.getKey(), header.getValue()));
        }
        final byte[] bytes = body.toByteArray();
        final FunctionsTrigger.Answer answer = trigger.answer(head.method().name(), headers, bytes);
        recorder.accept(new ReceivedRequest(head.method().name(), head.uri(), headers, bytes,
            (InetSocketAddress) ctx.channel().remoteAddress(), answer.status()));

        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            new HttpResponseStatus(answer.status(), reasonPhrase(answer.reason())), Unpooled.wrappedBuffer(answer.body()));
        if (answer.contentType() != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
        }
        for (HeaderField header : answer.headers()) {
            response.headers().add(header.name(), header.value());
        }
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
        head = null;
        body = null;
        // HttpServerKeepAliveHandler closes the connection after this response when the request asked it to.
        ctx.writeAndFlush(response);
    }

    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status) {
        discarding = true;
        head = null;
        body = null;
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** A reason phrase may hold neither CR, LF nor other controls; an exception message might. */
    private static String reasonPhrase(String reason) {
        final StringBuilder text = new StringBuilder(reason.length());
        for (int i = 0; i < reason.length(); i++) {
            final char c = reason.charAt(i);
            text.append(c < ' ' || c == 0x7F || c > 0xFF ? ' ' : c);
        }
        return text.toString();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A test tool: a reset by the client is normal, anything else closes the connection.
        ctx.close();
    }
}
