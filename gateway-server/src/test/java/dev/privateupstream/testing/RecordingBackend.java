package dev.privateupstream.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real Netty HTTP/1.1 backend on loopback for tests: records every request it receives (head and
 * whole body) and answers with what the test's {@link Responder} says, optionally streaming a large body
 * in chunks. Counts the TCP connections it accepted, so tests can see keep-alive reuse.
 */
public final class RecordingBackend implements AutoCloseable {

    /** One request as the backend saw it. */
    public record Recorded(String method, String uri, List<Map.Entry<String, String>> headers, byte[] body,
            InetSocketAddress peer) {
        public String header(String name) {
            for (Map.Entry<String, String> h : headers) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    return h.getValue();
                }
            }
            return null;
        }

        public List<String> headers(String name) {
            final List<String> values = new ArrayList<>();
            for (Map.Entry<String, String> h : headers) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    values.add(h.getValue());
                }
            }
            return values;
        }
    }

    /** What to answer: status, headers, body; {@code chunks > 0} streams the body in that many chunks. */
    public record Reply(int status, Map<String, String> headers, byte[] body, int chunks) {
        public static Reply ok(String body) {
            return new Reply(200, Map.of("Content-Type", "application/json"),
                    body.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0);
        }
    }

    @FunctionalInterface
    public interface Responder extends Function<Recorded, Reply> {
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final List<Recorded> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile Responder responder = r -> Reply.ok("{\"ok\":true}");
    /** Replies waiting for {@link #releaseReplies()}, or {@code null} when replies go out at once. */
    private List<Runnable> held;

    /** The TLS context of an https backend, or {@code null}. */
    private final SslContext tls;

    private RecordingBackend(SslContext tls) throws InterruptedException {
        this.tls = tls;
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.incrementAndGet();
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 << 20), new Handler());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    public static RecordingBackend start() throws InterruptedException {
        return new RecordingBackend(null);
    }

    /** An https backend presenting the certificate of {@code tls}; {@link #url()} is then https. */
    public static RecordingBackend startTls(SslContext tls) throws InterruptedException {
        return new RecordingBackend(java.util.Objects.requireNonNull(tls, "tls"));
    }

    public RecordingBackend respond(Responder responder) {
        this.responder = responder;
        return this;
    }

    /**
     * Holds every reply from now on (the requests are still recorded at once) until {@link #releaseReplies()}:
     * requests stay in flight for as long as a test needs, without sleeping for a guessed time.
     */
    public synchronized RecordingBackend holdReplies() {
        if (held == null) {
            held = new ArrayList<>();
        }
        return this;
    }

    /** Sends every held reply and stops holding. */
    public void releaseReplies() {
        final List<Runnable> waiting;
        synchronized (this) {
            waiting = held == null ? List.of() : held;
            held = null;
        }
        waiting.forEach(Runnable::run);
    }

    /** Runs {@code send} now, or later when replies are held. */
    private void sendOrHold(ChannelHandlerContext ctx, Runnable send) {
        synchronized (this) {
            if (held != null) {
                held.add(() -> ctx.executor().execute(send));
                return;
            }
        }
        send.run();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public String url() {
        return (tls == null ? "http" : "https") + "://127.0.0.1:" + port();
    }

    public List<Recorded> received() {
        return List.copyOf(received);
    }

    public int acceptedConnections() {
        return accepted.get();
    }

    /** Waits until {@code count} requests arrived; false on timeout. */
    public boolean awaitCount(int count, Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (received.size() < count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            final List<Map.Entry<String, String>> headers = new ArrayList<>();
            request.headers().forEach(headers::add);
            final Recorded recorded = new Recorded(request.method().name(), request.uri(), List.copyOf(headers),
                    ByteBufUtil.getBytes(request.content()), (InetSocketAddress) ctx.channel().remoteAddress());
            received.add(recorded);
            final Reply reply = responder.apply(recorded);
            final boolean keepAlive = HttpUtil.isKeepAlive(request);
            sendOrHold(ctx, () -> reply(ctx, reply, keepAlive));
        }

        private void reply(ChannelHandlerContext ctx, Reply reply, boolean keepAlive) {
            if (reply.chunks() <= 0) {
                final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(reply.body()));
                reply.headers().forEach((k, v) -> response.headers().set(k, v));
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
                write(ctx, response, keepAlive);
                return;
            }
            final HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()));
            reply.headers().forEach((k, v) -> head.headers().set(k, v));
            HttpUtil.setTransferEncodingChunked(head, true);
            ctx.write(head);
            final int size = (reply.body().length + reply.chunks() - 1) / reply.chunks();
            for (int off = 0; off < reply.body().length; off += size) {
                ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(reply.body(), off,
                        Math.min(size, reply.body().length - off))));
            }
            write(ctx, LastHttpContent.EMPTY_LAST_CONTENT, keepAlive);
        }

        private void write(ChannelHandlerContext ctx, Object msg, boolean keepAlive) {
            if (keepAlive) {
                ctx.writeAndFlush(msg);
            } else {
                ctx.writeAndFlush(msg).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
