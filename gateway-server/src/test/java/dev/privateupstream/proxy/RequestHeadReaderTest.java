package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link RequestHeadReader} against Netty's parser: the same bytes, fed in the same pieces, through a
 * {@link StrictHttpRequestDecoder} that reads common heads itself and one that leaves every head to Netty,
 * must come out as the same messages (kinds, request lines, header fields in order, bodies, failures).
 * Common heads must also really take the reader's path, which gives header values as {@link AsciiString}
 * views where Netty gives {@code String}s.
 */
class RequestHeadReaderTest {
    private static final String BODY = "{\"type\":\"message\",\"hub\":\"chat\"}";

    /** Heads the reader takes. */
    static Stream<String> common() {
        return Stream.of(
                "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET /x?y=1 HTTP/1.0\r\nAccept: */*\r\n\r\n",
                "POST /api/v1/hubs/chat HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
                        + "X-ASRS-Hub: chat\r\nX-Forwarded-For: 203.0.113.66\r\nContent-Length: " + BODY.length()
                        + "\r\n\r\n" + BODY,
                "PUT /p HTTP/1.1\r\ncontent-length: 5\r\nHost:a\r\n\r\nhello",
                "DELETE /d HTTP/1.1\r\nHost: \t a b \t\r\nEmpty:\r\nBlank:   \r\nObs: caf\u00e9\r\n\r\n",
                "OPTIONS * HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
                "PATCH /p HTTP/1.1\r\nHost: a\r\nCONTENT-LENGTH: 10\r\n\r\n0123456789",
                "HEAD / HTTP/1.1\r\nHost: a\r\nX: 1\r\nX: 2\r\n\r\n",
                // pipelined: the second request starts right after the first body
                "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
    }

    /** Heads left to Netty: every one must still come out as Netty decodes it. */
    static Stream<String> unusual() {
        return Stream.of(
                "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
                "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
                "FOO / HTTP/1.1\r\nHost: a\r\n\r\n",
                "get / HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
                "GET / HTTP/1.10\r\nHost: a\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3,3\r\n\r\nabc",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 003\r\n\r\nabc",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\nabc",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1234567890123456789\r\n\r\nabc",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3 3\r\n\r\nabc",
                "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
                "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
                "GET / HTTP/1.1\nHost: a\r\n\r\n");
    }

    static Stream<Arguments> commonInPieces() {
        return common().flatMap(RequestHeadReaderTest::inPieces);
    }

    static Stream<Arguments> unusualInPieces() {
        return unusual().flatMap(RequestHeadReaderTest::inPieces);
    }

    private static Stream<Arguments> inPieces(String request) {
        return Stream.of(1, 7, 64, 100_000).map(piece -> Arguments.of(request, piece));
    }

    @ParameterizedTest
    @MethodSource("commonInPieces")
    void readsCommonHeadsAsNettyDoes(String request, int piece) {
        assertThat(headsReadByReaderAlikeNetty(request, piece)).as("heads read without Netty's parser").isPositive();
    }

    @ParameterizedTest
    @MethodSource("unusualInPieces")
    void leavesUnusualHeadsToNetty(String request, int piece) {
        assertThat(headsReadByReaderAlikeNetty(request, piece)).as("heads read without Netty's parser").isZero();
    }

    /** Asserts both paths decode {@code request} alike; answers how many heads the reader read. */
    private static int headsReadByReaderAlikeNetty(String request, int piece) {
        final byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
        final Decoded own = decode(true, bytes, piece);
        assertThat(own.messages).isEqualTo(decode(false, bytes, piece).messages);
        return own.readByReader;
    }

    /**
     * Whatever the bytes and pieces, both paths agree. Input as for the request-path fuzz target: one
     * byte for the caller (ignored here), one for the piece size, then the bytes.
     */
    @FuzzTest(maxDuration = "10m")
    void bothPathsAgree(byte[] input) {
        if (input.length < 2) {
            return;
        }
        final byte[] bytes = Arrays.copyOfRange(input, 2, input.length);
        final int piece = 1 + (input[1] & 0xff);
        final List<String> own = decode(true, bytes, piece).messages;
        final List<String> netty = decode(false, bytes, piece).messages;
        if (!own.equals(netty)) {
            throw new AssertionError("reader: " + own + "\nnetty:  " + netty);
        }
    }

    /** The request-path fuzz target's corpus: hundreds of hostile and ordinary requests, in pieces. */
    static Stream<Path> requestPathCorpus() throws IOException, URISyntaxException {
        final Path dir = Path.of(RequestHeadReaderTest.class
                .getResource("RequestPathFuzzTestInputs/onlyAllowedWellFramedRequestsReachTheRelay").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("requestPathCorpus")
    void bothPathsAgreeOnTheRequestPathCorpus(Path input) throws IOException {
        bothPathsAgree(Files.readAllBytes(input));
    }

    private record Decoded(List<String> messages, int readByReader) {
    }

    /** Feeds {@code bytes} in pieces, answering each request at once (resume), and renders what came out. */
    private static Decoded decode(boolean readCommonHeads, byte[] bytes, int piece) {
        final StrictHttpRequestDecoder decoder = new StrictHttpRequestDecoder(1024, 16, readCommonHeads);
        final EmbeddedChannel channel = new EmbeddedChannel(decoder);
        final List<String> out = new ArrayList<>();
        final int[] readByReader = {0};
        for (int off = 0; off < bytes.length; off += piece) {
            // A copy: the decoder may compact its buffer, and a wrapped array would change under the next run.
            channel.writeInbound(Unpooled.copiedBuffer(bytes, off, Math.min(piece, bytes.length - off)));
            for (int guard = 0; guard < 100 && drain(channel, out, readByReader) | decoder.paused(); guard++) {
                if (decoder.paused()) {
                    out.add("(answered)");
                    decoder.resume(channel.pipeline().context(decoder));
                    channel.runPendingTasks();
                }
            }
            out.add("|"); // what each piece brought, so both paths must also be as early
        }
        channel.finish();
        drain(channel, out, readByReader);
        channel.finishAndReleaseAll();
        return new Decoded(out, readByReader[0]);
    }

    private static boolean drain(EmbeddedChannel channel, List<String> out, int[] readByReader) {
        boolean any = false;
        Object o;
        while ((o = channel.readInbound()) != null) {
            any = true;
            try {
                out.add(render((HttpObject) o));
                if (o instanceof HttpRequest && readByReader((HttpRequest) o)) {
                    readByReader[0]++;
                }
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
        return any;
    }

    /** Netty's parser gives header values as {@code String}s, the reader as views of the head's bytes. */
    private static boolean readByReader(HttpRequest request) {
        final Iterator<Map.Entry<CharSequence, CharSequence>> fields = request.headers().iteratorCharSequence();
        return fields.hasNext() && fields.next().getValue() instanceof AsciiString;
    }

    private static String render(HttpObject o) {
        final StringBuilder s = new StringBuilder();
        if (o instanceof FullHttpRequest) {
            s.append("FULL ");
        } else if (o instanceof HttpRequest) {
            s.append("HEAD ");
        } else if (o instanceof LastHttpContent) {
            s.append("LAST ");
        } else {
            s.append("PART ");
        }
        if (o instanceof HttpRequest) {
            final HttpRequest r = (HttpRequest) o;
            s.append(r.method()).append(' ').append(r.uri()).append(' ').append(r.protocolVersion());
            r.headers().iteratorCharSequence().forEachRemaining(
                    e -> s.append(" [").append(e.getKey()).append(": ").append(e.getValue()).append(']'));
        }
        if (o instanceof HttpContent) {
            s.append(" body=").append(((HttpContent) o).content().toString(StandardCharsets.ISO_8859_1));
        }
        if (o instanceof LastHttpContent) {
            s.append(" trailers=").append(((LastHttpContent) o).trailingHeaders().size());
        }
        if (o.decoderResult().isFailure()) {
            s.append(" failure=").append(o.decoderResult().cause().getClass().getSimpleName());
        }
        return s.toString();
    }
}
