package dev.privateupstream.store.etcd;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted stand-in for an etcd member's JSON gateway on 127.0.0.1, for the edge cases a real member will
 * not produce on demand: answers split or merged at chosen places, answers that never come, connections that
 * close at the wrong moment. Each path gets a {@link Script}; every request is recorded.
 */
final class FakeEtcd implements AutoCloseable {
    /** What the fake does with one request. */
    @FunctionalInterface
    interface Script {
        void handle(Exchange exchange);
    }

    /** A request received, as the script sees it. */
    record Request(String path, String body, String authorization, String requireLeader, int connection) {
    }

    /** One request and the means to answer it. */
    static final class Exchange {
        final Request request;
        final ChannelHandlerContext ctx;

        Exchange(Request request, ChannelHandlerContext ctx) {
            this.request = request;
            this.ctx = ctx;
        }

        /** A whole answer with a JSON (or any) body. */
        void answer(int status, String body) {
            final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(status), Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            ctx.writeAndFlush(response);
        }

        /** The head of a chunked 200 answer; {@link #chunk} writes its parts. */
        void startStream() {
            final HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            ctx.writeAndFlush(response);
        }

        void chunk(String text) {
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
        }

        /** Ends a chunked answer. */
        void endStream() {
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }

        void close() {
            ctx.close();
        }

        /** Runs {@code action} on the connection's thread after {@code millis}. */
        void later(long millis, Runnable action) {
            ctx.executor().schedule(action, millis, TimeUnit.MILLISECONDS);
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final Map<String, Script> scripts = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger closedConnections = new AtomicInteger();

    FakeEtcd() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        final int connection = connections.incrementAndGet();
                        channel.closeFuture().addListener(f -> closedConnections.incrementAndGet());
                        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
                                        final Request request = new Request(msg.uri(),
                                                msg.content().toString(StandardCharsets.UTF_8),
                                                msg.headers().get(HttpHeaderNames.AUTHORIZATION),
                                                msg.headers().get("Grpc-Metadata-hasleader"), connection);
                                        requests.add(request);
                                        final Script script = scripts.get(request.path());
                                        if (script == null) {
                                            new Exchange(request, ctx).answer(404, "Not Found");
                                        } else {
                                            script.handle(new Exchange(request, ctx));
                                        }
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    /** Answers requests to {@code path} with {@code script}. */
    FakeEtcd on(String path, Script script) {
        scripts.put(path, script);
        return this;
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort());
    }

    List<Request> requestsTo(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).toList();
    }

    int connections() {
        return connections.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
