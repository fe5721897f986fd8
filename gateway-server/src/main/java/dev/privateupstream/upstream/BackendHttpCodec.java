package dev.privateupstream.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;

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

    /** Encodes requests and remembers the method of the last one. */
    static final class MethodRecordingEncoder extends HttpRequestEncoder {
        private HttpMethod method;

        HttpMethod method() {
            return method;
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
