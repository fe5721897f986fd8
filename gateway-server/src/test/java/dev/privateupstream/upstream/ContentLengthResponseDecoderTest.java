package dev.privateupstream.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The fast path decodes the clean Content-Length response itself and hands everything else, from that
 * response on, to Netty's decoder as raw bytes (which this test sees as {@link ByteBuf}s).
 */
class ContentLengthResponseDecoderTest {
    private HttpMethod method = HttpMethod.POST;
    private final ContentLengthResponseDecoder decoder = new ContentLengthResponseDecoder(1024, 8, () -> method);
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder);

    private List<Object> feed(String latin1) {
        channel.writeInbound(Unpooled.copiedBuffer(latin1, StandardCharsets.ISO_8859_1));
        final List<Object> out = new ArrayList<>();
        Object o;
        while ((o = channel.readInbound()) != null) {
            out.add(o);
        }
        return out;
    }

    private static String text(ByteBuf buf) {
        return buf.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aWholeResponseIsOneMessageAndKeepsItsHeadersAndReason() {
        final List<Object> out = feed("HTTP/1.1 202 Taken In\r\nContent-Type: text/plain\r\nX-A:  padded  \r\n"
                + "Content-Length: 5\r\n\r\nhello");
        assertThat(out).hasSize(1);
        final FullHttpResponse response = (FullHttpResponse) out.get(0);
        assertThat(response.status().code()).isEqualTo(202);
        assertThat(response.status().reasonPhrase()).isEqualTo("Taken In");
        assertThat(response.headers().get("x-a")).isEqualTo("padded");
        // Values are views of the head's bytes, not strings Netty's parser made.
        assertThat(response.headers().iteratorCharSequence().next().getValue()).isInstanceOf(AsciiString.class);
        assertThat(text(response.content())).isEqualTo("hello");
        assertThat(response.decoderResult().isSuccess()).isTrue();
        response.release();
        assertThat(decoder.delegating()).isFalse();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aLongerBodyComesAsAHeadAndPartsOfAtMostMaxChunk() {
        final List<Object> out = new ArrayList<>(feed("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789"));
        out.addAll(feed("abcdefghij"));
        assertThat(out.get(0)).isInstanceOf(HttpResponse.class).isNotInstanceOf(HttpContent.class);
        final StringBuilder body = new StringBuilder();
        for (Object o : out.subList(1, out.size())) {
            assertThat(((HttpContent) o).content().readableBytes()).isLessThanOrEqualTo(8);
            body.append(text(((HttpContent) o).content()));
        }
        assertThat(body.toString()).isEqualTo("0123456789abcdefghij");
        assertThat(out.get(out.size() - 1)).isInstanceOf(LastHttpContent.class);
        out.forEach(ReferenceCountUtil::release);
        // The next response on the connection is decoded again.
        final List<Object> next = feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertThat(next.get(0)).isInstanceOf(FullHttpResponse.class);
        next.forEach(ReferenceCountUtil::release);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aHeadInPartsWaitsForItsEnd() {
        assertThat(feed("HTTP/1.1 200 OK\r\nContent-Le")).isEmpty();
        final List<Object> out = feed("ngth: 2\r\n\r\nok");
        assertThat(out.get(0)).isInstanceOf(FullHttpResponse.class);
        out.forEach(ReferenceCountUtil::release);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 204 No Content\r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok",
        "HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nBad Name: 1\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
        "\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    })
    void anythingUnusualGoesToNettyWholeAndUntouched(String response) {
        final List<Object> out = feed(response);
        assertThat(decoder.delegating()).isTrue();
        final StringBuilder passed = new StringBuilder();
        for (Object o : out) {
            assertThat(o).isInstanceOf(ByteBuf.class);
            passed.append(text((ByteBuf) o));
            ReferenceCountUtil.release(o);
        }
        assertThat(passed.toString()).isEqualTo(response);
        // And so does everything after it.
        final List<Object> later = feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertThat(later).allMatch(o -> o instanceof ByteBuf);
        later.forEach(ReferenceCountUtil::release);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void theAnswerToHeadGoesToNetty() {
        method = HttpMethod.HEAD;
        final List<Object> out = feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
        assertThat(decoder.delegating()).isTrue();
        assertThat(out).allMatch(o -> o instanceof ByteBuf);
        out.forEach(ReferenceCountUtil::release);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aHeadLongerThanTheLimitGoesToNetty() {
        final List<Object> out = feed("HTTP/1.1 200 OK\r\nX-Big: " + "b".repeat(1100));
        assertThat(decoder.delegating()).isTrue();
        out.forEach(ReferenceCountUtil::release);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aConnectionThatEndsInsideAHeadLeavesItToNetty() {
        assertThat(feed("HTTP/1.1 200 OK\r\nContent-Le")).isEmpty();
        channel.close();
        final List<Object> out = new ArrayList<>();
        Object o;
        while ((o = channel.readInbound()) != null) {
            out.add(o);
        }
        assertThat(out).hasSize(1);
        assertThat(text((ByteBuf) out.get(0))).isEqualTo("HTTP/1.1 200 OK\r\nContent-Le");
        out.forEach(ReferenceCountUtil::release);
    }

    /** Responses whose decoding, with and without this decoder in front of Netty's, must agree. */
    static Stream<Arguments> responsesInPieces() {
        return Stream.of(
                "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/json\r\nContent-Length: 12\r\n"
                        + "Connection: keep-alive\r\n\r\n{\"ok\":true}\n",
                "HTTP/1.1 202 Taken In\r\nX-A:  padded \t\r\nX-B:\r\nX-Obs: caf\u00e9\r\ncontent-length: 5\r\n\r\nhello",
                "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 3\r\n\r\nbad",
                "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 200  OK\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 200 OK \r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n0123456789012345678901234567890123456789",
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\n!",
                "HTTP/1.1 200 OK\r\nContent-Length: 02\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nName : v\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nX-A: a\u007fb\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
                .flatMap(r -> Stream.of(1, 5, 16, 4096).map(piece -> Arguments.of(r, piece)));
    }

    @ParameterizedTest
    @MethodSource("responsesInPieces")
    void decodesAsNettyAloneDoes(String response, int piece) {
        final byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
        assertThat(decodeThrough(true, bytes, piece)).isEqualTo(decodeThrough(false, bytes, piece));
    }

    /** Whatever a backend sends, in whatever pieces. Input: one byte for the piece size, then the bytes. */
    @FuzzTest(maxDuration = "10m")
    void bothWaysAgree(byte[] input) {
        if (input.length < 1) {
            return;
        }
        final byte[] bytes = Arrays.copyOfRange(input, 1, input.length);
        final int piece = 1 + (input[0] & 0xff);
        final List<String> withFastPath = decodeThrough(true, bytes, piece);
        final List<String> nettyAlone = decodeThrough(false, bytes, piece);
        if (!withFastPath.equals(nettyAlone)) {
            throw new AssertionError("with: " + withFastPath + "\nnetty: " + nettyAlone);
        }
    }

    /** The messages Netty's decoder, with or without this one in front, makes of {@code bytes}, rendered. */
    private static List<String> decodeThrough(boolean withFastPath, byte[] bytes, int piece) {
        final BackendHttpCodec.MethodRecordingEncoder requests = new BackendHttpCodec.MethodRecordingEncoder();
        final EmbeddedChannel channel = new EmbeddedChannel();
        if (withFastPath) {
            channel.pipeline().addLast(new ContentLengthResponseDecoder(1024, 16, () -> HttpMethod.POST));
        }
        channel.pipeline().addLast(new BackendHttpCodec.ResponseDecoder(8192, 1024, 16, requests));
        final List<String> out = new ArrayList<>();
        for (int off = 0; off < bytes.length; off += piece) {
            channel.writeInbound(Unpooled.copiedBuffer(bytes, off, Math.min(piece, bytes.length - off)));
            drain(channel, out);
            out.add("|"); // what each piece brought: a malformed line must fail as early either way
        }
        channel.finish();
        drain(channel, out);
        channel.finishAndReleaseAll();
        return out;
    }

    private static void drain(EmbeddedChannel channel, List<String> out) {
        Object o;
        while ((o = channel.readInbound()) != null) {
            render(o, out);
            ReferenceCountUtil.release(o);
        }
    }

    /** A whole response renders as the head and last part Netty makes of it. */
    private static void render(Object o, List<String> out) {
        if (o instanceof HttpResponse) {
            final HttpResponse r = (HttpResponse) o;
            final StringBuilder s = new StringBuilder("HEAD ").append(r.protocolVersion()).append(' ')
                    .append(r.status().code()).append(" [").append(r.status().reasonPhrase()).append(']');
            r.headers().iteratorCharSequence().forEachRemaining(
                    e -> s.append(" [").append(e.getKey()).append(": ").append(e.getValue()).append(']'));
            if (r.decoderResult().isFailure()) {
                s.append(" failure=").append(r.decoderResult().cause().getClass().getSimpleName());
            }
            out.add(s.toString());
        }
        if (o instanceof HttpContent) {
            final HttpContent c = (HttpContent) o;
            final String body = text(c.content());
            if (o instanceof LastHttpContent) {
                out.add("LAST " + body + " trailers=" + ((LastHttpContent) o).trailingHeaders().size());
            } else if (!body.isEmpty()) {
                out.add("PART " + body);
            }
        }
    }
}
