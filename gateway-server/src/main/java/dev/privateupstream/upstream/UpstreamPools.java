package dev.privateupstream.upstream;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.UpstreamConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The upstream pools of every event loop: one {@link UpstreamPool} per loop and upstream address.
 *
 * <p>Lookups happen on the loop's own thread through a thread-local, keyed first by the identity of the
 * upstream's configuration record (no hashing of its fields per request), then by address, so a reload
 * that keeps an upstream's URL keeps its warm connections.
 */
public final class UpstreamPools {
    private final Bootstrap bootstrap;
    private final int loops;
    private final int connectTimeoutMillis;
    private final List<Map<UpstreamAddress, UpstreamPool>> all = new ArrayList<>();
    private final FastThreadLocal<LoopPools> perLoop = new FastThreadLocal<>() {
        @Override
        protected LoopPools initialValue() {
            final LoopPools pools = new LoopPools();
            synchronized (all) {
                all.add(pools.byAddress);
            }
            return pools;
        }
    };

    /**
     * @param group the event loops client connections run on; backend connections run on the same ones
     * @param channelClass the socket channel class of the transport in use
     * @param loops how many event loops {@code group} has (each gets a share of {@code maxConnections})
     */
    public UpstreamPools(EventLoopGroup group, Class<? extends SocketChannel> channelClass, int loops,
            int connectTimeoutMillis, int maxResponseHeaderBytes) {
        this.bootstrap = new Bootstrap().group(requireNonNull(group, "group")).channel(channelClass)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new BackendChannelInitializer(maxResponseHeaderBytes));
        this.loops = Math.max(1, loops);
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    /** The pool of the calling event loop for this upstream. Must run on {@code loop}. */
    UpstreamPool pool(EventLoop loop, UpstreamConfig upstream) {
        final LoopPools pools = perLoop.get();
        UpstreamPool pool = pools.byConfig.get(upstream);
        if (pool == null) {
            final UpstreamAddress address = UpstreamAddress.of(upstream.url());
            pool = pools.byAddress.get(address);
            if (pool == null) {
                // maxConnections is per upstream across loops: each loop gets its share, at least one.
                final int share = (upstream.maxConnections() + loops - 1) / loops;
                pool = new UpstreamPool(loop, bootstrap, address, share, connectTimeoutMillis);
                pools.byAddress.put(address, pool);
            }
            pools.byConfig.put(upstream, pool);
        }
        return pool;
    }

    /** Closes the idle connections of every pool; each on its own loop. */
    public void closeIdle() {
        synchronized (all) {
            for (Map<UpstreamAddress, UpstreamPool> pools : all) {
                for (UpstreamPool pool : pools.values()) {
                    pool.loop().execute(pool::closeIdle);
                }
            }
        }
    }

    private static final class LoopPools {
        final Map<UpstreamConfig, UpstreamPool> byConfig = new IdentityHashMap<>();
        final Map<UpstreamAddress, UpstreamPool> byAddress = new HashMap<>();
    }
}
