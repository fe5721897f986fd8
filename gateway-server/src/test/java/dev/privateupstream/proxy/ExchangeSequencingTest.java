package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.metrics.GatewayMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decoder hands over one request at a time; the next one waits until the response is written. */
class ExchangeSequencingTest {

    /** Records requests and answers each only when told to. */
    private static final class Terminal extends ChannelInboundHandlerAdapter {
        final List<String> seen = new ArrayList<>();
        ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                seen.add(((HttpRequest) msg).uri());
            }
            ReferenceCountUtil.release(msg);
        }

        void answer() {
            final DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
            response.headers().setInt("Content-Length", 0);
            ctx.writeAndFlush(response);
        }
    }

    @Test
    void pipelinedRequestsAreHandedOverOneAtATime() {
        final StrictHttpRequestDecoder decoder = new StrictHttpRequestDecoder(16384, 8192);
        final Terminal terminal = new Terminal();
        final EmbeddedChannel channel = ProxyTestChannels.from("127.0.0.10", decoder, new HttpResponseEncoder(),
                new ExchangeHandler(decoder, new ExchangeRecorder(new GatewayMetrics()), () -> false, 1 << 20),
                terminal);
        channel.writeInbound(Unpooled.copiedBuffer("POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
                + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"
                + "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
        assertThat(terminal.seen).containsExactly("/1");
        assertThat(decoder.paused()).isTrue();
        terminal.answer();
        channel.runPendingTasks();
        assertThat(terminal.seen).containsExactly("/1", "/2");
        terminal.answer();
        channel.runPendingTasks();
        assertThat(terminal.seen).containsExactly("/1", "/2", "/3");
        terminal.answer();
        channel.runPendingTasks();
        for (Object out; (out = channel.readOutbound()) != null; ) {
            ((ByteBuf) out).release();
        }
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void obsoleteLineFoldingIsAFailedRequestAndTheRestIsDiscarded() {
        final StrictHttpRequestDecoder decoder = new StrictHttpRequestDecoder(16384, 8192);
        final EmbeddedChannel channel = new EmbeddedChannel(decoder);
        channel.writeInbound(Unpooled.copiedBuffer("POST / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n b\r\n\r\n"
                + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
        final HttpRequest bad = channel.readInbound();
        assertThat(bad.decoderResult().isFailure()).isTrue();
        assertThat(bad.decoderResult().cause()).hasMessageContaining("folding");
        ReferenceCountUtil.release(bad);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void lastContentPausesTheDecoder() {
        final StrictHttpRequestDecoder decoder = new StrictHttpRequestDecoder(16384, 8192);
        final EmbeddedChannel channel = new EmbeddedChannel(decoder);
        channel.writeInbound(Unpooled.copiedBuffer("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
                StandardCharsets.US_ASCII));
        final HttpRequest first = channel.readInbound();
        assertThat(first.uri()).isEqualTo("/a");
        assertThat(first).isInstanceOf(LastHttpContent.class); // head and empty body as one message
        ReferenceCountUtil.release(first);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(decoder.paused()).isTrue();
        channel.finishAndReleaseAll();
    }
}
