package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The strict head scan and the one-request-at-a-time pacing of {@link StrictHttpRequestDecoder}. */
class StrictHttpRequestDecoderTest {

    /** Counts the reads the decoder asks the socket for (AUTO_READ is off in the gateway). */
    private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        int reads;

        @Override
        public void read(ChannelHandlerContext ctx) {
            reads++;
            ctx.read();
        }
    }

    private final StrictHttpRequestDecoder decoder = new StrictHttpRequestDecoder(1024, 65536);
    private final ReadCounter reads = new ReadCounter();
    private final EmbeddedChannel channel = new EmbeddedChannel(reads, decoder);

    {
        channel.config().setAutoRead(false);
    }

    private void write(String latin1) {
        channel.writeInbound(Unpooled.copiedBuffer(latin1, StandardCharsets.ISO_8859_1));
    }

    private List<HttpObject> drain() {
        final List<HttpObject> out = new ArrayList<>();
        Object o;
        while ((o = channel.readInbound()) != null) {
            out.add((HttpObject) o);
        }
        return out;
    }

    private static void release(List<HttpObject> objects) {
        objects.forEach(ReferenceCountUtil::release);
    }

    private void resume() {
        decoder.resume(channel.pipeline().context(decoder));
        channel.runPendingTasks();
    }

    @Test
    void decodesOneRequestThenPausesUntilResumed() {
        write("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
        List<HttpObject> first = drain();
        assertThat(first).hasSize(1); // head and (empty) body as one message
        assertThat(first.get(0)).isInstanceOf(FullHttpRequest.class);
        assertThat(((HttpRequest) first.get(0)).uri()).isEqualTo("/1");
        assertThat(decoder.paused()).isTrue();
        release(first);
        resume();
        final List<HttpObject> second = drain();
        assertThat(((HttpRequest) second.get(0)).uri()).isEqualTo("/2");
        release(second);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    /** A pipelined head cut in two by the socket: the decoder must read the socket for the rest. */
    @Test
    void asksTheSocketForTheRestOfAPartlyBufferedPipelinedHead() {
        write("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHo");
        release(drain());
        final int before = reads.reads;
        resume();
        assertThat(drain()).isEmpty();
        assertThat(reads.reads).as("reads asked for after resume").isGreaterThan(before);
        write("st: a\r\n\r\n");
        final List<HttpObject> second = drain();
        assertThat(((HttpRequest) second.get(0)).uri()).isEqualTo("/2");
        release(second);
        channel.finishAndReleaseAll();
    }

    @Test
    void aMalformedChunkEndsTheBodyWithAFailedLastContent() {
        write("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n");
        final List<HttpObject> out = drain();
        final HttpObject last = out.get(out.size() - 1);
        assertThat(last).isInstanceOf(LastHttpContent.class);
        assertThat(last.decoderResult().isFailure()).isTrue();
        release(out);
        // Whatever follows is discarded: the connection is done for.
        write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(drain()).isEmpty();
        channel.finishAndReleaseAll();
    }

    @Test
    void headsThatBreakTheScanBecomeOneFailedRequest() {
        assertFailure("GET / HTTP/1.1\nHost: a\n\n", IllegalArgumentException.class);
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", IllegalArgumentException.class);
        assertFailure("GET / HTTP/1.1\r\nHost: a\u0000\r\n\r\n", IllegalArgumentException.class);
        assertFailure("GET / HTTP/1.1\r\nBad Name: a\r\n\r\n", IllegalArgumentException.class);
        assertFailure("GET /" + "a".repeat(StrictHttpRequestDecoder.MAX_REQUEST_LINE), TooLongHttpLineException.class);
        assertFailure("GET / HTTP/1.1\r\nX: " + "b".repeat(2000), TooLongHttpHeaderException.class);
    }

    @Test
    void aHeadArrivingOneByteAtATimeIsScannedOnce() {
        final String head = "POST /a HTTP/1.1\r\nHost: a\r\nX-Latin: caf\u00e9\r\nContent-Length: 2\r\n\r\nok";
        for (char c : head.toCharArray()) {
            write(String.valueOf(c));
        }
        final List<HttpObject> out = drain();
        assertThat(out.get(0).decoderResult().isSuccess()).isTrue();
        assertThat(((HttpRequest) out.get(0)).headers().get("X-Latin")).isEqualTo("caf\u00e9");
        assertThat(out.get(out.size() - 1)).isInstanceOf(LastHttpContent.class);
        release(out);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aHeaderBlockOfExactlyTheLimitPassesAndOneByteMoreDoesNot() {
        // 1024 bytes of header lines, CRLFs included: "Host: a\r\n" (9) + "X: " + value + "\r\n".
        final String exact = "b".repeat(1024 - 9 - 5);
        write("GET / HTTP/1.1\r\nHost: a\r\nX: " + exact + "\r\n\r\n");
        final List<HttpObject> out = drain();
        assertThat(out.get(0).decoderResult().isSuccess()).isTrue();
        release(out);
        channel.finishAndReleaseAll();
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\nX: " + exact + "b\r\n\r\n", TooLongHttpHeaderException.class);
    }

    private static void assertFailure(String head, Class<? extends Throwable> cause) {
        final EmbeddedChannel ch = new EmbeddedChannel(new StrictHttpRequestDecoder(1024, 65536));
        ch.writeInbound(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
        final Object msg = ch.readInbound();
        assertThat(msg).as(head).isInstanceOf(HttpRequest.class);
        assertThat(((HttpRequest) msg).decoderResult().cause()).as(head).isInstanceOf(cause);
        ReferenceCountUtil.release(msg);
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
        assertThat((Object) ch.readInbound()).as("nothing after a failed head").isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void headAndBodyOfOneReadGoOnAsOneRequest() {
        write("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
        final List<HttpObject> out = drain();
        assertThat(out).hasSize(1);
        final FullHttpRequest whole = (FullHttpRequest) out.get(0);
        assertThat(whole.uri()).isEqualTo("/a");
        assertThat(whole.headers().get("Content-Length")).isEqualTo("5");
        assertThat(whole.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        assertThat(decoder.paused()).isTrue();
        release(out);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aBodyStillToComeKeepsItsParts() {
        write("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel");
        final List<HttpObject> head = drain();
        assertThat(head).hasSize(2);
        assertThat(head.get(0)).isInstanceOf(HttpRequest.class).isNotInstanceOf(FullHttpRequest.class);
        assertThat(head.get(1)).isInstanceOf(HttpContent.class).isNotInstanceOf(LastHttpContent.class);
        release(head);
        write("lo");
        final List<HttpObject> rest = drain();
        assertThat(rest).hasSize(1);
        assertThat(rest.get(0)).isInstanceOf(LastHttpContent.class).isNotInstanceOf(HttpRequest.class);
        release(rest);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aChunkedBodyKeepsItsPartsEvenInOneRead() {
        write("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        final List<HttpObject> out = drain();
        assertThat(out.get(0)).isInstanceOf(HttpRequest.class).isNotInstanceOf(FullHttpRequest.class);
        assertThat(out.get(out.size() - 1)).isInstanceOf(LastHttpContent.class);
        release(out);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void obsTextIsAllowedInValuesOnly() {
        write("GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf\u00e9\r\n\r\n");
        final List<HttpObject> out = drain();
        assertThat(out.get(0).decoderResult().isSuccess()).isTrue();
        assertThat(((HttpRequest) out.get(0)).headers().get("X-Latin")).isEqualTo("caf\u00e9");
        assertThat(out.get(0)).isInstanceOf(HttpContent.class);
        release(out);
        channel.finishAndReleaseAll();
        assertFailure("GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n", IllegalArgumentException.class);
    }
}
