package dev.privateupstream.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backend connection's request encoder writes exactly the bytes Netty's {@link HttpRequestEncoder} writes,
 * whole small requests as one buffer.
 */
class BackendHttpCodecTest {
    private static final String SIGNALR_BODY = "{\"type\":\"message\",\"hub\":\"chat\",\"target\":\"broadcast\","
            + "\"connectionId\":\"6rWfPcWTvYEVf0QCzgT5VQ\",\"arguments\":[\"someone\",\"hello there\"]}";

    static Stream<Arguments> requests() {
        return Stream.of(
                Arguments.of("SignalR call", (Supplier<List<HttpObject>>) () -> List.of(signalRCall())),
                Arguments.of("GET without body", (Supplier<List<HttpObject>>) () -> List.of(
                        full(HttpMethod.GET, "/api/health?probe=1", "", "Host", "backend:7071"))),
                Arguments.of("HTTP/1.0", (Supplier<List<HttpObject>>) () -> List.of(new DefaultFullHttpRequest(
                        HttpVersion.HTTP_1_0, HttpMethod.DELETE, "/x", Unpooled.EMPTY_BUFFER))),
                Arguments.of("body at the one-buffer limit", (Supplier<List<HttpObject>>) () -> List.of(
                        full(HttpMethod.PUT, "/big", "b".repeat(BackendHttpCodec.MethodRecordingEncoder.ONE_BUFFER_BODY),
                                "Content-Length", String.valueOf(BackendHttpCodec.MethodRecordingEncoder.ONE_BUFFER_BODY)))),
                Arguments.of("body over the one-buffer limit", (Supplier<List<HttpObject>>) () -> List.of(
                        full(HttpMethod.PUT, "/big", "b".repeat(BackendHttpCodec.MethodRecordingEncoder.ONE_BUFFER_BODY + 1),
                                "Content-Length",
                                String.valueOf(BackendHttpCodec.MethodRecordingEncoder.ONE_BUFFER_BODY + 1)))),
                Arguments.of("chunked whole request", (Supplier<List<HttpObject>>) () -> List.of(
                        full(HttpMethod.POST, "/c", "abc", "Transfer-Encoding", "chunked"))),
                Arguments.of("absolute target without a path", (Supplier<List<HttpObject>>) () -> List.of(
                        full(HttpMethod.GET, "http://backend:7071", ""))),
                Arguments.of("absolute target with a query and no path", (Supplier<List<HttpObject>>) () -> List.of(
                        full(HttpMethod.GET, "http://backend:7071?a=1", ""))),
                Arguments.of("empty target", (Supplier<List<HttpObject>>) () -> List.of(
                        full(HttpMethod.OPTIONS, "", ""))),
                Arguments.of("body without framing header", (Supplier<List<HttpObject>>) () -> List.of(
                        full(HttpMethod.POST, "/raw", "as is"))),
                Arguments.of("streamed request, then a whole one", (Supplier<List<HttpObject>>) () -> List.of(
                        head(HttpMethod.POST, "/s", "Content-Length", "6"),
                        new DefaultHttpContent(ascii("abc")),
                        new DefaultLastHttpContent(ascii("def")),
                        signalRCall())),
                Arguments.of("streamed chunked request, then a whole one", (Supplier<List<HttpObject>>) () -> List.of(
                        head(HttpMethod.POST, "/s", "Transfer-Encoding", "chunked"),
                        new DefaultHttpContent(ascii("abc")),
                        new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER),
                        full(HttpMethod.GET, "/after", ""))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requests")
    void writesWhatNettysEncoderWrites(String name, Supplier<List<HttpObject>> messages) {
        assertThat(encode(new BackendHttpCodec.MethodRecordingEncoder(), messages.get()))
                .isEqualTo(encode(new HttpRequestEncoder(), messages.get()));
    }

    @Test
    void aWholeSmallRequestIsOneBuffer() {
        final EmbeddedChannel channel = new EmbeddedChannel(new BackendHttpCodec.MethodRecordingEncoder());
        channel.writeOutbound(signalRCall());
        final ByteBuf out = channel.readOutbound();
        try {
            assertThat(channel.<Object>readOutbound()).isNull();
            assertThat(out.toString(StandardCharsets.ISO_8859_1))
                    .startsWith("POST /api/v1/hubs/chat HTTP/1.1\r\n").endsWith("\r\n\r\n" + SIGNALR_BODY);
        } finally {
            out.release();
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void remembersTheMethodOfEitherPath() {
        final BackendHttpCodec.MethodRecordingEncoder encoder = new BackendHttpCodec.MethodRecordingEncoder();
        final EmbeddedChannel channel = new EmbeddedChannel(encoder);
        channel.writeOutbound(full(HttpMethod.HEAD, "/h", ""));
        assertThat(encoder.method()).isEqualTo(HttpMethod.HEAD);
        channel.writeOutbound(full(HttpMethod.POST, "/c", "abc", "Transfer-Encoding", "chunked"));
        assertThat(encoder.method()).isEqualTo(HttpMethod.POST);
        channel.finishAndReleaseAll();
    }

    @Test
    void aWholeRequestInTheMiddleOfAnotherFailsAsWithNetty() {
        final EmbeddedChannel channel = new EmbeddedChannel(new BackendHttpCodec.MethodRecordingEncoder());
        channel.writeOutbound(head(HttpMethod.POST, "/s", "Content-Length", "3"));
        final FullHttpRequest intruder = signalRCall();
        assertThatThrownBy(() -> channel.writeOutbound(intruder)).isInstanceOf(EncoderException.class)
                .hasRootCauseInstanceOf(IllegalStateException.class);
        assertThat(intruder.refCnt()).isZero();
        channel.finishAndReleaseAll();
    }

    private static byte[] encode(io.netty.channel.ChannelHandler encoder, List<HttpObject> messages) {
        final EmbeddedChannel channel = new EmbeddedChannel(encoder);
        channel.writeOutbound(messages.toArray());
        final List<byte[]> pieces = new ArrayList<>();
        ByteBuf buf;
        while ((buf = channel.readOutbound()) != null) {
            final byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            buf.release();
            pieces.add(bytes);
        }
        channel.finishAndReleaseAll();
        final int total = pieces.stream().mapToInt(p -> p.length).sum();
        final byte[] all = new byte[total];
        int at = 0;
        for (byte[] piece : pieces) {
            System.arraycopy(piece, 0, all, at, piece.length);
            at += piece.length;
        }
        return all;
    }

    /** A SignalR upstream call as the gateway forwards it, header values as the head reader gives them. */
    private static FullHttpRequest signalRCall() {
        return full(HttpMethod.POST, "/api/v1/hubs/chat", SIGNALR_BODY,
                "Host", "backend:7071",
                "Content-Type", "application/json",
                "X-ASRS-Connection-Id", "6rWfPcWTvYEVf0QCzgT5VQ",
                "X-ASRS-Hub", "chat",
                "X-ASRS-Category", "messages",
                "X-ASRS-Event", "broadcast",
                "X-ASRS-Signature", "sha256=7b3f1e0c9a2d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f",
                "Content-Length", String.valueOf(SIGNALR_BODY.length()),
                "X-Forwarded-For", "10.1.2.3",
                "X-Forwarded-Proto", "http",
                "X-Forwarded-Host", "gateway:8080");
    }

    private static FullHttpRequest full(HttpMethod method, String target, String body, String... headers) {
        final FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, target, ascii(body));
        addAll(request.headers(), headers);
        return request;
    }

    private static DefaultHttpRequest head(HttpMethod method, String target, String... headers) {
        final DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, target);
        addAll(request.headers(), headers);
        return request;
    }

    private static void addAll(io.netty.handler.codec.http.HttpHeaders into, String... namesAndValues) {
        for (int i = 0; i < namesAndValues.length; i += 2) {
            into.add(new AsciiString(namesAndValues[i]), new AsciiString(namesAndValues[i + 1]));
        }
    }

    private static ByteBuf ascii(String text) {
        return text.isEmpty() ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
    }
}
