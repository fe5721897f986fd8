package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.AdminConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.reload.LiveConfig;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The admin server on {@code admin.address:admin.port} (SPEC §7): its own listener and its own small event
 * loop, so that neither a scrape nor a slow admin client takes time from the proxy's loops, and so that it
 * stays up while the proxy drains (SPEC §9).
 */
public final class AdminServer implements AutoCloseable {
    /** Admin bodies are a few hundred bytes of JSON; anything much larger is refused with 413. */
    static final int MAX_BODY_BYTES = 64 * 1024;
    private static final int IDLE_SECONDS = 60;

    private final EventLoopGroup group;
    private final Channel listener;
    private final ChannelGroup connections;
    private final EndpointEvents events;

    private AdminServer(EventLoopGroup group, Channel listener, ChannelGroup connections, EndpointEvents events) {
        this.group = group;
        this.listener = listener;
        this.connections = connections;
        this.events = events;
    }

    /**
     * Binds and serves.
     *
     * @param ready whether {@code /readyz} answers {@code 200}: configuration loaded, proxy listening, not
     *        draining
     */
    public static AdminServer start(AdminConfig config, PolicyRef policy, LiveConfig live, GatewayMetrics metrics,
            BooleanSupplier ready) throws InterruptedException {
        requireNonNull(config, "config");
        final Transport transport = Transport.best();
        final EndpointApi api = new EndpointApi(policy, live, metrics.endpointTraffic());
        final AdminPage page = new AdminPage();
        final MetricsEndpoint scrape = new MetricsEndpoint(metrics);
        requireNonNull(ready, "ready");
        final EventLoopGroup group = transport.newGroup(1, "gateway-admin");
        final ChannelGroup connections = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);
        // One loop: the event streams' subscribers and their fan-out share it without locks.
        final EndpointEvents events = new EndpointEvents(policy, group.next(), metrics::adminEventSubscribers);
        try {
            final Channel listener = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.add(ch);
                            ch.pipeline().addLast(
                                    new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS),
                                    new HttpServerCodec(),
                                    new HttpObjectAggregator(MAX_BODY_BYTES),
                                    new AdminHandler(api, page, scrape, ready, events));
                        }
                    })
                    .bind(config.address(), config.port()).sync().channel();
            return new AdminServer(group, listener, connections, events);
        } catch (RuntimeException | InterruptedException e) {
            events.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The bound address (the chosen port when {@code admin.port} is 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        events.close();
        // Connections first, while the loop still runs: on io_uring a read in flight gives its buffer
        // back only when its completion is handled, which a loop already shutting down may never do.
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
