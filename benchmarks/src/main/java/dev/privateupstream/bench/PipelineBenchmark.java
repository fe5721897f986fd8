package dev.privateupstream.bench;

import dev.privateupstream.bench.BenchmarkConfig.Endpoint;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.proxy.ProxyChannelInitializer;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.tls.ServerTls;
import dev.privateupstream.transport.Transport;
import dev.privateupstream.upstream.BackendHttpCodec;
import dev.privateupstream.upstream.UpstreamPools;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole client pipeline, as {@code ProxyChannelInitializer} builds it, on one keep-alive connection:
 * each invocation writes a SignalR upstream call's bytes in and takes the forwarded request and the
 * relayed response out.
 *
 * <p>Only the sockets are missing. The relay at the end of the pipeline is replaced by a stand-in that
 * does what the relay's backend connection does: it encodes the forwarded request with the backend
 * connection's codec (the bytes that would go out), then decodes a canned backend response with the same
 * codec and writes it back, through the response rewrite and the encoder, to the client. So the request
 * is framed and checked, decided (allow list of {@code tools/peer-bench}: 1,001 prefixes), checked as a
 * SignalR call, rewritten and encoded; the response is decoded, rewritten, encoded, and the exchange is
 * recorded (metrics; the access log is off, as in the load benchmark).
 *
 * <p>{@code checks}: {@code none} as in the load benchmark; {@code validate} adds
 * {@code signalr.validateRequests}; {@code signature} also requires {@code X-ASRS-Signature} under one
 * access key (an HMAC-SHA256 per request).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-DGATEWAY_ACCESS_LOG_LEVEL=OFF",
        "-DGATEWAY_LOG_LEVEL=WARN", "-Dio.netty.leakDetection.level=disabled"})
public class PipelineBenchmark {
    private static final String ACCESS_KEY = "benchmark-access-key";
    private static final String BODY = "{\"type\":\"message\",\"hub\":\"chat\",\"target\":\"broadcast\",\"connectionId\":\"abc\","
            + "\"userId\":\"user-000123\",\"seq\":42,\"ts\":\"2025-01-01T00:00:00Z\","
            + "\"payload\":{\"text\":\"hello from peer-bench, a small chat message\"}}";
    /** What the peer-bench backend (nginx) answers. */
    private static final String RESPONSE = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
            + "Date: Sat, 28 Nov 2026 23:00:00 GMT\r\nContent-Type: application/json\r\nContent-Length: 12\r\n"
            + "Connection: keep-alive\r\n\r\n{\"ok\":true}\n";

    @Param({"none", "validate", "signature"})
    String checks;

    private EventLoopGroup group;
    private ServerTls tls;
    private EmbeddedSocketChannel channel;
    private BackendStandIn backend;
    private ByteBuf request;

    @Setup
    public void setUp() throws GeneralSecurityException {
        final String signalr = switch (checks) {
            case "none" -> "signalr:\n  validateRequests: false\n";
            case "validate" -> "signalr:\n  validateRequests: true\n";
            case "signature" -> "signalr:\n  accessKeys: [ " + ACCESS_KEY + " ]\n  requireSignature: true\n"
                    + "  validateRequests: true\n";
            default -> throw new IllegalArgumentException("checks: " + checks + " (expected none, validate, signature)");
        };
        final PolicyRef policy = new PolicyRef(BenchmarkConfig.load("listen:\n  address: 127.0.0.1\n  port: 0\n"
                + signalr + "upstreams:\n" + BenchmarkConfig.upstream("backend", "http://127.0.0.1:18080")
                + "sharedPrivateEndpoints:\n  file: endpoints.yaml\n",
                List.of(new Endpoint("peer-bench-clients", "backend", "Approved", BenchmarkConfig.peerBenchPrefixes()))));
        final GatewayMetrics metrics = new GatewayMetrics();
        // The pools are never used (the relay is replaced), but the initializer wants them.
        final Transport transport = Transport.NIO;
        group = transport.newGroup(1, "bench-unused");
        final UpstreamPools pools = new UpstreamPools(group, transport.clientChannel(), 1, 1000, 65536);
        tls = ServerTls.start(() -> null);
        final ProxyChannelInitializer initializer = new ProxyChannelInitializer(policy, metrics, pools, tls,
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE), () -> false);

        channel = new EmbeddedSocketChannel(new InetSocketAddress("127.0.0.1", 40000),
                new InetSocketAddress("127.0.0.1", 18083));
        channel.pipeline().addLast(initializer);
        try {
            channel.register();
        } catch (Exception e) {
            throw new IllegalStateException("register: " + e, e);
        }
        backend = new BackendStandIn(Unpooled.unreleasableBuffer(
                Unpooled.directBuffer().writeBytes(RESPONSE.getBytes(StandardCharsets.US_ASCII))));
        channel.pipeline().replace("relay", "relay", backend);

        final String connectionId = "Z3JvdXAtY29ubmVjdGlvbi0xMjM0NTY3ODkw";
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(ACCESS_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        final String signature = "sha256=" + HexFormat.of().formatHex(mac.doFinal(connectionId.getBytes(StandardCharsets.UTF_8)));
        final String head = "POST /api/v1/hubs/chat HTTP/1.1\r\nHost: 127.0.0.1:18083\r\n"
                + "Content-Type: application/json\r\nX-ASRS-Hub: chat\r\nX-ASRS-Category: messages\r\n"
                + "X-ASRS-Event: broadcast\r\nX-ASRS-Connection-Id: " + connectionId + "\r\n"
                + "X-ASRS-Signature: " + signature + "\r\nX-Forwarded-For: 203.0.113.66\r\n"
                + "Content-Length: " + BODY.length() + "\r\n\r\n";
        request = Unpooled.unreleasableBuffer(Unpooled.directBuffer()
                .writeBytes((head + BODY).getBytes(StandardCharsets.US_ASCII)));

        // The call must be forwarded and answered 200, or the numbers mean nothing.
        backend.capture = true;
        final String answer = exchangeText();
        backend.capture = false;
        if (!answer.startsWith("HTTP/1.1 200 OK") || !backend.forwarded.contains("X-Forwarded-For: 127.0.0.1\r\n")
                || backend.forwarded.contains("203.0.113.66")) {
            throw new IllegalStateException("not forwarded as expected:\n" + backend.forwarded + "\n---\n" + answer);
        }
    }

    private String exchangeText() {
        channel.writeInbound(request.duplicate());
        channel.runPendingTasks();
        final StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return out.toString();
    }

    /** One request in, the forwarded request and the response out; returns the bytes that went out. */
    @Benchmark
    public long exchange() {
        channel.writeInbound(request.duplicate());
        channel.runPendingTasks();
        long bytes = backend.forwardedBytes;
        backend.forwardedBytes = 0;
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            bytes += b.readableBytes();
            b.release();
        }
        return bytes;
    }

    @TearDown
    public void tearDown() {
        channel.dispose();
        backend.close();
        tls.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Stands in for the relay and its backend connection: the backend connection's codec encodes what the
     * relay would send and decodes what the backend answers.
     */
    private static final class BackendStandIn extends ChannelInboundHandlerAdapter {
        private final EmbeddedChannel codec = new EmbeddedChannel();
        private final ByteBuf response;
        long forwardedBytes;
        boolean capture;
        String forwarded = "";

        BackendStandIn(ByteBuf response) {
            this.response = response;
            BackendHttpCodec.addTo(codec.pipeline(), 8192, 16384, 65536);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HttpObject)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            codec.writeOutbound(msg); // ownership passes to the codec, which encodes and releases it
            ByteBuf b;
            while ((b = codec.readOutbound()) != null) {
                forwardedBytes += b.readableBytes();
                if (capture) {
                    forwarded += b.toString(StandardCharsets.US_ASCII);
                }
                b.release();
            }
            if (msg instanceof LastHttpContent) {
                codec.writeInbound(response.duplicate());
                Object part;
                while ((part = codec.readInbound()) != null) {
                    ctx.write(part); // ownership passes to the client pipeline
                }
                ctx.flush();
            }
        }

        void close() {
            codec.finishAndReleaseAll();
        }
    }
}
