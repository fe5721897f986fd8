package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link LimitsHandler}'s refusals, and how it stops a request whose head has already gone on. */
class LimitsHandlerTest {

    /** Stands where the relay sits: records what gets through and the events it is sent. */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        final List<Object> events = new ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }
    }

    private final Relay relay = new Relay();
    private final EmbeddedChannel channel = new EmbeddedChannel(new LimitsHandler(10), relay);

    private HttpRequest request(String... headers) {
        final HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
        request.headers().set("Host", "a");
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        channel.attr(ProxyExchange.KEY).set(new ProxyExchange(request, System.nanoTime()));
        return request;
    }

    private FullHttpResponse answer() {
        final Object out = channel.readOutbound();
        assertThat(out).isInstanceOf(FullHttpResponse.class);
        return (FullHttpResponse) out;
    }

    @Test
    void bothFramingsAtOnceAre400BeforeAnythingGoesOn() {
        assertThat(channel.writeInbound(request("Content-Length", "5", "Transfer-Encoding", "chunked"))).isFalse();
        final FullHttpResponse response = answer();
        assertThat(response.status().code()).isEqualTo(400);
        assertThat(ProxyExchange.current(channel).closeAfterResponse).isTrue();
        response.release();
        assertThat(relay.events).isEmpty();
        channel.finishAndReleaseAll();
    }

    @Test
    void contentLengthsThatAreNotPlainDigitsAreRefused() {
        for (String bad : new String[] {"+5", "-5", "05", "5 5", "0x5", "", "5.0", "99999999999999999999"}) {
            assertThat(LimitsHandler.parseLength(bad)).as(bad).isEqualTo(-1);
        }
        assertThat(LimitsHandler.parseLength("0")).isZero();
        assertThat(LimitsHandler.parseLength("1024")).isEqualTo(1024);
    }

    @Test
    void aMalformedChunkAfterTheHeadWentOnIs400AndAbortsTheRelay() {
        assertThat(channel.writeInbound(request("Transfer-Encoding", "chunked"))).isTrue();
        ((HttpRequest) channel.readInbound()).headers();
        final ByteBuf data = Unpooled.copiedBuffer(new byte[] {1, 2});
        final DefaultLastHttpContent broken = new DefaultLastHttpContent(data);
        broken.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("bad chunk")));
        assertThat(channel.writeInbound(broken)).as("never passed on").isFalse();
        assertThat(data.refCnt()).as("released").isZero();
        assertThat(relay.events).containsExactly(RequestAbortedEvent.ABORTED);
        final FullHttpResponse response = answer();
        assertThat(response.status().code()).isEqualTo(400);
        response.release();
        channel.finishAndReleaseAll();
    }

    @Test
    void aChunkedBodyPassingTheLimitIs413AndAbortsTheRelay() {
        channel.writeInbound(request("Transfer-Encoding", "chunked"));
        channel.readInbound();
        assertThat(channel.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(new byte[8])))).isTrue();
        ((DefaultHttpContent) channel.readInbound()).release();
        assertThat(channel.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(new byte[8])))).isFalse();
        assertThat(relay.events).containsExactly(RequestAbortedEvent.ABORTED);
        final FullHttpResponse response = answer();
        assertThat(response.status().code()).isEqualTo(413);
        response.release();
        channel.finishAndReleaseAll();
    }
}
