package dev.privateupstream;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.proxy.ProxyChannelInitializer;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.transport.Transport;
import dev.privateupstream.upstream.UpstreamPools;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: the proxy listener on its event loops, the backend pools beside it, and the
 * policy in force. {@link #start} binds, {@link #drain} and {@link #stop} end it as SPEC §9 says.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(GatewayServer.class);

    private final PolicyRef policy;
    private final GatewayMetrics metrics;
    private final Transport transport;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ChannelGroup clientChannels = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final UpstreamPools pools;
    private volatile boolean draining;
    private Channel listener;

    private GatewayServer(GatewayConfig config, GatewayMetrics metrics, int threads) {
        this.policy = new PolicyRef(config);
        this.metrics = requireNonNull(metrics, "metrics");
        metrics.endpoints(policy.get());
        policy.onSwap(metrics::endpoints);
        transport = Transport.best();
        if (transport == Transport.NIO) {
            logger.info("native epoll unavailable ({}), using NIO", String.valueOf(Transport.unavailabilityCause()));
        }
        boss = transport.newGroup(1, "gateway-accept");
        workers = transport.newGroup(threads, "gateway-io");
        pools = new UpstreamPools(workers, transport.clientChannel(), threads,
                (int) config.limits().upstreamConnectTimeout().toMillis(), 65536);
    }

    /**
     * Starts the proxy listener.
     *
     * @param threads event loop threads; {@code 0} for one per available processor
     */
    public static GatewayServer start(GatewayConfig config, GatewayMetrics metrics, int threads)
            throws InterruptedException {
        final int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        final GatewayServer server = new GatewayServer(config, metrics, n);
        try {
            server.bind(config.listen());
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void bind(ListenConfig listen) throws InterruptedException {
        final ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ProxyChannelInitializer(policy, metrics, pools, clientChannels, () -> draining));
        listener = bootstrap.bind(listen.address(), listen.port()).sync().channel();
        logger.info("proxy listening on {} ({} transport, {} event loops)", listenAddress(), transport,
                ((io.netty.channel.MultiThreadIoEventLoopGroup) workers).executorCount());
    }

    /** The bound proxy address (the chosen port when {@code listen.port} is 0). */
    public InetSocketAddress listenAddress() {
        return (InetSocketAddress) listener.localAddress();
    }

    public PolicyRef policy() {
        return policy;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public boolean draining() {
        return draining;
    }

    /**
     * SPEC §9: stops accepting, lets in-flight requests finish (answered with {@code Connection: close}),
     * closes idle keep-alive connections, and waits up to {@code timeout} for the rest.
     *
     * @return whether every client connection ended within the timeout
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        draining = true;
        if (listener != null) {
            listener.close().sync();
        }
        final long deadline = System.nanoTime() + timeout.toNanos();
        // Idle keep-alive connections have nothing in flight: close them now; busy ones close themselves
        // after their response (ExchangeHandler sees the drain and answers with Connection: close).
        for (Channel ch : clientChannels) {
            ch.eventLoop().execute(() -> {
                if (dev.privateupstream.proxy.ProxyExchange.current(ch) == null) {
                    ch.close();
                }
            });
        }
        while (!clientChannels.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        final boolean clean = clientChannels.isEmpty();
        if (!clean) {
            logger.warn("drain timeout: closing {} connections still open", clientChannels.size());
            clientChannels.close().await(5, TimeUnit.SECONDS);
        }
        return clean;
    }

    /** Closes everything at once. */
    @Override
    public void close() {
        draining = true;
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        clientChannels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        pools.closeIdle();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
