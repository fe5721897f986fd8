package dev.privateupstream.bench;

import dev.privateupstream.bench.BenchmarkConfig.Endpoint;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.identity.CallerIdentities;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.proxy.ProxyChannelInitializer;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.tls.ServerTls;
import dev.privateupstream.transport.Transport;
import dev.privateupstream.upstream.BackendHttpCodec;
import dev.privateupstream.upstream.UpstreamPools;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
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
import java.time.Duration;
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
 * access key (an HMAC-SHA256 per request). Those three send the call as the load benchmark does, with no
 * {@code Authorization} header, as before SPEC §13.
 *
 * <p>The token check (SPEC §13) is measured by two more cases that send the very same bytes: the call with
 * {@code Authorization: Bearer} and a 1.5 KB Entra ID access token, as the service sends it once managed
 * identity upstream auth is on, the same token on every call (it holds for hours).
 * {@code signature-with-header} has {@code signature}'s configuration, so the token is decoded and forwarded
 * but not checked; {@code identity} adds {@code signalr.identity}, so it is verified too. Their difference is
 * the check alone. Comparing {@code identity} with {@code signature} would also charge the check with reading
 * and forwarding 1.5 KB more of head, which the service's token costs whether the gateway checks it or not;
 * {@code signature} against {@code signature-with-header} shows that cost. The key set is served by a
 * {@link TokenIssuer} on loopback and fetched by the gateway's own key thread; measuring starts once it is
 * loaded (at most 10 s), and the token's first check (parse and RS256 verification) happens in the set-up
 * call, so what is measured is the steady state of a connection from the service, a token already verified.
 * The set-up also sends a copy of the call whose token has one character of its signature changed, on a
 * connection of its own, and requires {@code 401 invalid-token}: the check is really made.
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

    @Param({"none", "validate", "signature", "signature-with-header", "identity"})
    String checks;

    private EventLoopGroup group;
    private ServerTls tls;
    private EmbeddedSocketChannel channel;
    private BackendStandIn backend;
    private ByteBuf request;
    private TokenIssuer issuer;
    private CallerIdentities identities;

    @Setup
    public void setUp() throws GeneralSecurityException, InterruptedException {
        final String signature = "signalr:\n  accessKeys: [ " + ACCESS_KEY + " ]\n  requireSignature: true\n"
                + "  validateRequests: true\n";
        final boolean withToken = checks.equals("signature-with-header") || checks.equals("identity");
        if (withToken) {
            issuer = new TokenIssuer();
        }
        final String signalr = switch (checks) {
            case "none" -> "signalr:\n  validateRequests: false\n";
            case "validate" -> "signalr:\n  validateRequests: true\n";
            case "signature", "signature-with-header" -> signature;
            case "identity" -> signature + "  identity:\n    tenantId: " + TokenIssuer.TENANT + "\n"
                    + "    audiences: [ \"" + TokenIssuer.AUDIENCE + "\" ]\n"
                    + "    allowedCallers: [ " + TokenIssuer.CALLER + " ]\n"
                    + "    jwksUrl: " + issuer.jwksUrl() + "\n";
            default -> throw new IllegalArgumentException("checks: " + checks
                    + " (expected none, validate, signature, signature-with-header, identity)");
        };
        final GatewayConfig config = BenchmarkConfig.load("listen:\n  address: 127.0.0.1\n  port: 0\n"
                + signalr + "upstreams:\n" + BenchmarkConfig.upstream("backend", "http://127.0.0.1:18080")
                + "sharedPrivateEndpoints:\n  file: endpoints.yaml\n",
                List.of(new Endpoint("peer-bench-clients", "backend", "Approved", BenchmarkConfig.peerBenchPrefixes())));
        final PolicyRef policy = new PolicyRef(config);
        final GatewayMetrics metrics = new GatewayMetrics();
        // The pools are never used (the relay is replaced), but the initializer wants them.
        final Transport transport = Transport.NIO;
        group = transport.newGroup(1, "bench-unused");
        final UpstreamPools pools = new UpstreamPools(group, transport.clientChannel(), 1, 1000, 65536,
                metrics);
        tls = ServerTls.start(() -> null);
        // As the server does: the configuration's key sets are fetched (by their own thread) as it is put in
        // force, and calls are measured once they are loaded; before that a call gets 503.
        identities = new CallerIdentities(metrics::identityKeyRefresh);
        identities.prepare(config);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!identities.ready()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the key set of " + issuer.jwksUrl() + " was not loaded within 10 s");
            }
            Thread.sleep(10);
        }
        final ProxyChannelInitializer initializer = new ProxyChannelInitializer(policy, metrics, pools, tls,
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE), () -> false, identities);

        backend = new BackendStandIn(Unpooled.unreleasableBuffer(
                Unpooled.directBuffer().writeBytes(RESPONSE.getBytes(StandardCharsets.US_ASCII))));
        channel = connect(initializer, backend);

        final String connectionId = "Z3JvdXAtY29ubmVjdGlvbi0xMjM0NTY3ODkw";
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(ACCESS_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        final String signed = "sha256="
                + HexFormat.of().formatHex(mac.doFinal(connectionId.getBytes(StandardCharsets.UTF_8)));
        // The service's token: minted once, sent on every call, as the service does until it expires.
        final String token = withToken ? issuer.token(Duration.ofHours(24)) : "";
        final String authorization = withToken ? "Authorization: Bearer " + token + "\r\n" : "";
        request = call(connectionId, signed, authorization);

        // The call must be forwarded and answered 200, or the numbers mean nothing.
        backend.capture = true;
        final String answer = exchangeText(channel, request);
        backend.capture = false;
        if (!answer.startsWith("HTTP/1.1 200 OK") || !backend.forwarded.contains("X-Forwarded-For: 127.0.0.1\r\n")
                || backend.forwarded.contains("203.0.113.66") || !backend.forwarded.contains(authorization)) {
            throw new IllegalStateException("not forwarded as expected:\n" + backend.forwarded + "\n---\n" + answer);
        }
        if (checks.equals("identity")) {
            // And the token must really be checked: the same call with one character of the token's
            // signature changed is refused, on a connection of its own (a refusal may close it).
            final int at = token.length() - 10;
            final String forged = token.substring(0, at) + (token.charAt(at) == 'A' ? 'B' : 'A')
                    + token.substring(at + 1);
            final BackendStandIn probeBackend = new BackendStandIn(backend.response);
            final EmbeddedSocketChannel probe = connect(initializer, probeBackend);
            final ByteBuf forgedCall = call(connectionId, signed, "Authorization: Bearer " + forged + "\r\n");
            final String refusal = exchangeText(probe, forgedCall);
            forgedCall.release();
            probe.finishAndReleaseAll();
            probeBackend.close();
            if (!refusal.startsWith("HTTP/1.1 401 ") || !refusal.contains("invalid-token")) {
                throw new IllegalStateException("a forged token was not refused:\n" + refusal);
            }
        }
    }

    /** A connection through {@code initializer}'s pipeline, its relay replaced by {@code backend}. */
    private static EmbeddedSocketChannel connect(ProxyChannelInitializer initializer, BackendStandIn backend) {
        final EmbeddedSocketChannel ch = new EmbeddedSocketChannel(new InetSocketAddress("127.0.0.1", 40000),
                new InetSocketAddress("127.0.0.1", 18083));
        ch.pipeline().addLast(initializer);
        try {
            ch.register();
        } catch (Exception e) {
            throw new IllegalStateException("register: " + e, e);
        }
        ch.pipeline().replace("relay", "relay", backend);
        return ch;
    }

    /**
     * The bytes of one upstream call, {@code authorization} a whole header line or empty; never handed to the
     * pipeline itself (see {@link #received}).
     */
    private static ByteBuf call(String connectionId, String signature, String authorization) {
        final String head = "POST /api/v1/hubs/chat HTTP/1.1\r\nHost: 127.0.0.1:18083\r\n"
                + "Content-Type: application/json\r\nX-ASRS-Hub: chat\r\nX-ASRS-Category: messages\r\n"
                + "X-ASRS-Event: broadcast\r\nX-ASRS-Connection-Id: " + connectionId + "\r\n"
                + "X-ASRS-Signature: " + signature + "\r\n" + authorization + "X-Forwarded-For: 203.0.113.66\r\n"
                + "Content-Length: " + BODY.length() + "\r\n\r\n";
        return Unpooled.directBuffer().writeBytes((head + BODY).getBytes(StandardCharsets.US_ASCII));
    }

    private static String exchangeText(EmbeddedSocketChannel ch, ByteBuf call) {
        ch.writeInbound(received(ch, call));
        ch.runPendingTasks();
        final StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return out.toString();
    }

    /**
     * {@code bytes} as a read from a socket hands them to the pipeline: copied into a buffer of the channel's
     * (pooled, direct) allocator, which the pipeline then owns. Until SPEC §13 this benchmark handed the
     * decoders a duplicate of one unreleasable buffer, which they scan byte by byte through two wrappers, and
     * the time per exchange differed from fork to fork (three forks on a quiet machine: {@code none} 5.2,
     * 5.2 and 3.5 µs; with the token 6.3, 5.7 and 9.7 µs); with the copy the same forks agree within 2 %
     * (3.75 to 3.81 and 6.10 to 6.16 µs). The copy (0.6 or 2.1 KB) is what the kernel's read does anyway.
     */
    private static ByteBuf received(Channel channel, ByteBuf bytes) {
        return channel.alloc().directBuffer(bytes.readableBytes())
                .writeBytes(bytes, bytes.readerIndex(), bytes.readableBytes());
    }

    /** One request in, the forwarded request and the response out; returns the bytes that went out. */
    @Benchmark
    public long exchange() {
        channel.writeInbound(received(channel, request));
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
        request.release();
        identities.close();
        if (issuer != null) {
            issuer.close();
        }
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
                codec.writeInbound(received(ctx.channel(), response));
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
