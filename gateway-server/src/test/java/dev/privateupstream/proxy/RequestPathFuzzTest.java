package dev.privateupstream.proxy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.privateupstream.caller.ConnectionFacts;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.testing.TestGateway;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzzing of the request path up to the forwarding decision (Jazzer): the real decoder,
 * exchange, timeout, limits, access-decision, SignalR and rewrite handlers on an {@link EmbeddedChannel},
 * with a fixed policy and a stand-in at the relay's position. Whatever bytes arrive, in whatever pieces:
 *
 * <ul>
 *   <li>a request reaches the relay position only with an {@code Allow} decision, so never from a caller
 *       that is not an approved endpoint, and only in origin form with one {@code X-Forwarded-For} naming
 *       the caller and unambiguous framing;</li>
 *   <li>body content reaches it only inside such a request, never more than {@code maxBodyBytes};</li>
 *   <li>no buffer leaks: after the channel closes, every byte the allocator handed out is back.</li>
 * </ul>
 *
 * <p>Input: one byte picks the caller (approved, pending, public), one the size of the pieces the rest is
 * fed in, then raw HTTP/1 bytes.
 */
class RequestPathFuzzTest {
    private static final int MAX_BODY = 256;
    private static final GatewayConfig CONFIG = config();
    private static final PolicyRef POLICY = new PolicyRef(CONFIG);
    private static final GatewayMetrics METRICS = new GatewayMetrics();
    private static final ExchangeRecorder RECORDER = new ExchangeRecorder(METRICS);
    private static final String[] CALLERS = {"127.0.0.10", "127.0.0.20", "127.0.0.1"};
    /** Counts what it hands out; leak detection is left to the extension, this checks every byte came back. */
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false, true);

    private static GatewayConfig config() {
        try {
            final Path dir = Files.createTempDirectory("request-fuzz");
            dir.toFile().deleteOnExit();
            final String upstreams = TestGateway.upstream("func-a", TestGateway.RESOURCE, "http://127.0.0.1:9",
                    "    hosts: [ func-a.example ]\n") + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE,
                    "http://127.0.0.1:9", "    hosts: [ func-b.example ]\n");
            Files.writeString(dir.resolve("gateway.yaml"), TestGateway.gatewayYaml(upstreams,
                    "limits:\n  maxHeaderBytes: 2048\n  maxBodyBytes: " + MAX_BODY + "\n"));
            Files.writeString(dir.resolve("endpoints.yaml"), TestGateway.STANDARD_ENDPOINTS);
            return new ConfigLoader(Map.of()).load(dir.resolve("gateway.yaml"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where the relay sits: checks what gets this far, answers each complete request, releases everything. */
    private static final class RelayPosition extends ChannelInboundHandlerAdapter {
        private final String caller;
        private boolean inRequest;
        private long body;

        RelayPosition(String caller) {
            this.caller = caller;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest) {
                    checkRequest(ctx, (HttpRequest) msg);
                    inRequest = true;
                    body = 0;
                }
                if (msg instanceof HttpContent) {
                    if (!inRequest) {
                        throw new AssertionError("content outside a forwarded request");
                    }
                    final HttpContent content = (HttpContent) msg;
                    if (content.decoderResult().isFailure()) {
                        throw new AssertionError("malformed content forwarded: " + content.decoderResult());
                    }
                    body += content.content().readableBytes();
                    if (body > MAX_BODY) {
                        throw new AssertionError("forwarded " + body + " body bytes, over the limit");
                    }
                    if (msg instanceof LastHttpContent) {
                        inRequest = false;
                        final FullHttpResponse ok = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                HttpResponseStatus.OK, ctx.alloc().buffer(2).writeBytes(new byte[] {'o', 'k'}));
                        ok.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 2);
                        ctx.writeAndFlush(ok);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg); // the relay's position: everything ends here
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == RequestAbortedEvent.ABORTED) {
                inRequest = false; // the relay drops the request; nothing more of it may arrive
            }
        }

        private void checkRequest(ChannelHandlerContext ctx, HttpRequest request) {
            if (inRequest) {
                throw new AssertionError("a new request before the last one ended");
            }
            if (!request.decoderResult().isSuccess()) {
                throw new AssertionError("malformed request forwarded: " + request.decoderResult());
            }
            final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
            if (exchange == null || !(exchange.decision() instanceof Decision.Allow)) {
                throw new AssertionError("forwarded without an Allow decision: "
                        + (exchange == null ? null : exchange.decision()));
            }
            if (!caller.equals("127.0.0.10")) {
                throw new AssertionError("forwarded for a caller that is no approved endpoint: " + caller);
            }
            final HttpHeaders headers = request.headers();
            final List<String> forwardedFor = headers.getAll(HeaderRewriteHandler.X_FORWARDED_FOR);
            if (!forwardedFor.equals(List.of(caller))) {
                throw new AssertionError("X-Forwarded-For " + forwardedFor);
            }
            if (!request.uri().startsWith("/") || request.uri().startsWith("//")) {
                throw new AssertionError("not origin form: " + request.uri());
            }
            final HttpMethod method = request.method();
            if (method == HttpMethod.CONNECT || method == HttpMethod.TRACE) {
                throw new AssertionError("forwarded " + method);
            }
            final List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
            final List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
            if (lengths.size() > 1 || codings.size() > 1 || (!lengths.isEmpty() && !codings.isEmpty())
                    || (!codings.isEmpty() && !codings.get(0).equals("chunked"))) {
                throw new AssertionError("ambiguous framing forwarded: " + lengths + " " + codings);
            }
            if (headers.getAll(HttpHeaderNames.HOST).size() != 1) {
                throw new AssertionError("Host " + headers.getAll(HttpHeaderNames.HOST));
            }
            for (String spoofable : new String[] {"Forwarded", "X-Real-IP", "X-Client-IP", "True-Client-IP"}) {
                if (headers.contains(spoofable)) {
                    throw new AssertionError(spoofable + " forwarded");
                }
            }
        }
    }

    @FuzzTest(maxDuration = "10m")
    void onlyAllowedWellFramedRequestsReachTheRelay(byte[] input) throws UnknownHostException {
        if (input.length < 2) {
            return;
        }
        final String caller = CALLERS[(input[0] & 0xff) % CALLERS.length];
        final int piece = 1 + (input[1] & 0xff);
        final long allocatedBefore = allocated();

        final EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(ALLOC);
        channel.attr(ConnectionFacts.KEY).set(new ConnectionFacts(
                new InetSocketAddress(InetAddress.getByName(caller), 40000)));
        final StrictHttpRequestDecoder decoder = new StrictHttpRequestDecoder(2048, 65536);
        channel.pipeline().addLast(decoder, new HttpResponseEncoder(),
                new ExchangeHandler(decoder, RECORDER, () -> false, MAX_BODY),
                new RequestTimeoutHandler(10_000_000_000L, 60_000_000_000L, METRICS),
                // Built per channel as the initializer does, whether or not a handler could be shared.
                new LimitsHandler(MAX_BODY), new AccessDecisionHandler(POLICY, METRICS), new SignalRCheckHandler(METRICS),
                new HeaderRewriteHandler(), new RelayPosition(caller));

        for (int off = 2; off < input.length && channel.isOpen(); off += piece) {
            final int n = Math.min(piece, input.length - off);
            channel.writeInbound(Unpooled.wrappedBuffer(input, off, n));
            channel.runPendingTasks(); // the decoder resumes after each answer as a task
            releaseOutbound(channel);
        }
        channel.runPendingTasks();
        releaseOutbound(channel);
        channel.finishAndReleaseAll();
        final long leaked = allocated() - allocatedBefore;
        if (leaked != 0) {
            throw new AssertionError(leaked + " bytes allocated on the request path were never released");
        }
    }

    private static long allocated() {
        return ALLOC.metric().usedHeapMemory() + ALLOC.metric().usedDirectMemory();
    }

    private static void releaseOutbound(EmbeddedChannel channel) {
        Object out;
        while ((out = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(out);
        }
    }
}
