package dev.privateupstream.upstream;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.tls.TrustRoots;
import dev.privateupstream.tls.UpstreamTls;
import dev.privateupstream.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.file.Path;
import java.time.Duration;
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
 *
 * <p>An {@code https} upstream's pool connects with TLS ({@link UpstreamTls}); its trust source is part of
 * the pool's key, so two upstreams at one address that trust different CAs never share a connection. When
 * a CA file is reloaded, the connections verified under the roots it replaced are not lent again
 * ({@link BackendHandler#trustChanged()}): requests in flight on them finish, then they are closed. The
 * upstream's {@code idleTimeout} is part of the key too: a reload that changes it starts a new pool, and the
 * old one's idle connections close on their old schedule.
 */
public final class UpstreamPools {
    /** Host names resolve asynchronously (with /etc/hosts and TTL caching), never by a blocking lookup. */
    private final DnsAddressResolverGroup dns;
    private final Bootstrap bootstrap;
    /**
     * For an upstream at an IP address: the JDK parses a literal without a lookup, and no event loop opens
     * the DNS resolver's UDP socket for a gateway whose upstreams are all addresses (a sidecar's usually are).
     */
    private final Bootstrap literalBootstrap;
    private final int maxResponseHeaderBytes;
    private final UpstreamTls tls = new UpstreamTls();
    private final int loops;
    private final int connectTimeoutMillis;
    private final GatewayMetrics metrics;
    private final List<Map<PoolKey, UpstreamPool>> all = new ArrayList<>();
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
     * @param metrics where the pools count the connections they close
     */
    public UpstreamPools(EventLoopGroup group, Class<? extends SocketChannel> channelClass, int loops,
            int connectTimeoutMillis, int maxResponseHeaderBytes, GatewayMetrics metrics) {
        this.bootstrap = new Bootstrap().group(requireNonNull(group, "group")).channel(channelClass)
                .option(ChannelOption.AUTO_READ, false)
                // The client side's allocator: pooled direct buffers, cached per event loop (Netty 4.2
                // would otherwise give backend connections its adaptive allocator).
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new BackendChannelInitializer(maxResponseHeaderBytes));
        this.dns = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(Transport.ofClientChannel(channelClass).datagramChannel()));
        this.literalBootstrap = bootstrap.clone().resolver(DefaultAddressResolverGroup.INSTANCE);
        bootstrap.resolver(dns);
        this.maxResponseHeaderBytes = maxResponseHeaderBytes;
        this.loops = Math.max(1, loops);
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /** The pool of the calling event loop for this upstream. Must run on {@code loop}. */
    UpstreamPool pool(EventLoop loop, UpstreamConfig upstream) {
        final LoopPools pools = perLoop.get();
        UpstreamPool pool = pools.byConfig.get(upstream);
        if (pool == null) {
            final UpstreamAddress address = UpstreamAddress.of(upstream.url());
            final PoolKey key = new PoolKey(address, address.https() ? upstream.caFile() : null,
                    upstream.idleTimeout());
            pool = pools.byAddress.get(key);
            if (pool == null) {
                // maxConnections is per upstream across loops: each loop gets its share, at least one.
                final int share = (upstream.maxConnections() + loops - 1) / loops;
                pool = new UpstreamPool(loop, bootstrapFor(key), address, new UpstreamPool.Settings(upstream.name(),
                        share, connectTimeoutMillis, upstream.idleTimeout()), metrics);
                pools.byAddress.put(key, pool);
            }
            pools.byConfig.put(upstream, pool);
        }
        return pool;
    }

    /**
     * The plain bootstrap, or for an {@code https} upstream one whose connections start with TLS, verified
     * with the trust roots in force when each connection is made. Built once per loop and pool; the trust
     * roots are shared across loops.
     */
    private Bootstrap bootstrapFor(PoolKey key) {
        final Bootstrap base = key.address().ipLiteral() ? literalBootstrap : bootstrap;
        if (!key.address().https()) {
            return base;
        }
        return base.clone().handler(new BackendChannelInitializer(maxResponseHeaderBytes, tls.trust(key.caFile()),
                key.address()));
    }

    /**
     * The trust roots of an {@code https} upstream's {@code caFile}, the ones its pools verify with: loaded on
     * the calling thread the first time a file is named, then watched ({@link UpstreamTls#trust}).
     */
    public TrustRoots trust(Path caFile) {
        return tls.trust(requireNonNull(caFile, "caFile"));
    }

    /** Closes the idle connections of every pool; each on its own loop. */
    public void closeIdle() {
        synchronized (all) {
            for (Map<PoolKey, UpstreamPool> pools : all) {
                for (UpstreamPool pool : pools.values()) {
                    pool.loop().execute(pool::closeIdle);
                }
            }
        }
    }

    /**
     * Closes the DNS resolvers (their UDP sockets) while the event loops still run, so each closes on its
     * loop before the loops shut down, and stops watching the CA files.
     */
    public void close() {
        dns.close();
        tls.close();
    }

    /**
     * What makes two upstreams share a pool: the address, for https the CA file trusted, and how long a
     * connection may sit idle.
     */
    private record PoolKey(UpstreamAddress address, Path caFile, Duration idleTimeout) {
    }

    private static final class LoopPools {
        final Map<UpstreamConfig, UpstreamPool> byConfig = new IdentityHashMap<>();
        final Map<PoolKey, UpstreamPool> byAddress = new HashMap<>();
    }
}
