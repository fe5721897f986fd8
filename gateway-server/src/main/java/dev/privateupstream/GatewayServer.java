package dev.privateupstream;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.admin.AdminServer;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.identity.CallerIdentities;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.net.LocalHost;
import dev.privateupstream.proxy.ProxyChannelInitializer;
import dev.privateupstream.reload.LiveConfig;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.store.EndpointSet;
import dev.privateupstream.store.EndpointStore;
import dev.privateupstream.store.FileEndpointStore;
import dev.privateupstream.store.Replica;
import dev.privateupstream.store.etcd.EtcdEndpointStore;
import dev.privateupstream.tls.ServerTls;
import dev.privateupstream.tracing.GatewayTracing;
import dev.privateupstream.transport.Transport;
import dev.privateupstream.upstream.UpstreamAddress;
import dev.privateupstream.upstream.UpstreamPools;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: the proxy listener on its event loops, the backend pools beside it, the policy in
 * force kept live from its files ({@link LiveConfig}), and the admin server. {@link #start} binds,
 * {@link #drain} and {@link #close} end it as SPEC §9 says.
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
    private final ServerTls tls;
    /** {@code admin.tls}: the same code as the proxy port's, watching the admin files. */
    private final ServerTls adminTls;
    private final CallerIdentities identities;
    /** The SDK of SPEC §12's spans, or {@code null} when tracing is off; the file at start decides. */
    private final GatewayTracing tracing;
    private volatile boolean draining;
    private volatile Channel listener;
    private LiveConfig liveConfig;
    private AdminServer admin;

    private GatewayServer(GatewayConfig config, PolicyRef policy, GatewayMetrics metrics, int threads,
            Transport transport) {
        this.policy = requireNonNull(policy, "policy");
        // First, so that TLS files that do not load stop the start before the event loops exist.
        tls = ServerTls.start(() -> policy.get().config().listen().tls());
        try {
            adminTls = ServerTls.start("admin.tls", "admin port", () -> policy.get().config().admin().tls());
        } catch (RuntimeException e) {
            tls.close();
            throw e;
        }
        try {
            // Before the event loops too: OTEL_* settings the SDK refuses stop the start.
            tracing = config.tracing() == null ? null : GatewayTracing.start(config.tracing());
        } catch (RuntimeException e) {
            tls.close();
            adminTls.close();
            throw e;
        }
        this.metrics = requireNonNull(metrics, "metrics");
        this.transport = requireNonNull(transport, "transport");
        if (transport == Transport.best()) {
            for (String reason : Transport.passedOver(transport)) {
                logger.info("transport auto: {}; using {}", reason, transport);
            }
        }
        boss = transport.newGroup(1, "gateway-accept");
        workers = transport.newGroup(threads, "gateway-io");
        pools = new UpstreamPools(workers, transport.clientChannel(), threads,
                (int) config.limits().upstreamConnectTimeout().toMillis(), 65536, metrics);
        metrics.endpoints(policy.get());
        metrics.certificatesInUse(certificatesInUse(policy.get().config()));
        identities = new CallerIdentities(metrics::identityKeyRefresh);
        identities.prepare(policy.get().config());
        policy.onSwap(snapshot -> {
            metrics.endpoints(snapshot);
            metrics.certificatesInUse(certificatesInUse(snapshot.config()));
            identities.prepare(snapshot.config());
        });
    }

    /**
     * The certificates {@code config} puts in use, for {@code gateway_tls_certificate_expiry_timestamp_seconds}:
     * the proxy listener's chain, the admin port's, and the trust roots of each {@code https} upstream with a
     * {@code caFile} (loaded here, off the event loops, if no pool loaded them yet). The system trust store is
     * left out: its hundred-odd roots expire on the distribution's schedule, not the operator's.
     */
    private Map<String, Supplier<Instant>> certificatesInUse(GatewayConfig config) {
        final Map<String, Supplier<Instant>> inUse = new HashMap<>();
        if (config.listen().tls() != null) {
            inUse.put(GatewayMetrics.LISTEN_CERTIFICATE, tls::expiry);
        }
        if (config.admin().tls() != null) {
            inUse.put(GatewayMetrics.ADMIN_CERTIFICATE, adminTls::expiry);
        }
        for (UpstreamConfig upstream : config.upstreams()) {
            if (upstream.caFile() != null && UpstreamAddress.of(upstream.url()).https()) {
                inUse.put(GatewayMetrics.UPSTREAM_CERTIFICATE_PREFIX + upstream.name(),
                        pools.trust(upstream.caFile())::expiry);
            }
        }
        return inUse;
    }

    /**
     * Starts the gateway with a configuration loaded from the environment of this process; reloads read the
     * same environment.
     *
     * @param threads event loop threads; {@code 0} for one per available processor
     */
    public static GatewayServer start(GatewayConfig config, GatewayMetrics metrics, int threads)
            throws InterruptedException {
        return start(config, ConfigLoader.fromSystemEnvironment(), metrics, threads);
    }

    /**
     * Starts the proxy listener, then the watch of both configuration files and the admin server.
     *
     * @param loader the loader that read {@code config}: reloads use it, so they see the same environment
     * @param threads event loop threads; {@code 0} for one per available processor
     */
    public static GatewayServer start(GatewayConfig config, ConfigLoader loader, GatewayMetrics metrics,
            int threads) throws InterruptedException {
        return start(config, loader, metrics, threads, Transport.best());
    }

    /**
     * As {@link #start(GatewayConfig, ConfigLoader, GatewayMetrics, int)}, on the given socket transport
     * (the proxy listener, its connections and the backend connections; the admin server keeps
     * {@link Transport#best()}).
     */
    public static GatewayServer start(GatewayConfig config, ConfigLoader loader, GatewayMetrics metrics,
            int threads, Transport transport) throws InterruptedException {
        requireNonNull(loader, "loader");
        final int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        final EndpointStore store;
        final PolicyRef policy;
        if (config.etcd() != null) {
            // SPEC §10 start: the store's set, else the cache file's, else none until the store answers.
            final EtcdEndpointStore etcd = EtcdEndpointStore.open(config.etcd(), loader, metrics);
            final EndpointSet first;
            try {
                first = etcd.startingSet(config.upstreams());
            } catch (RuntimeException e) {
                etcd.close();
                throw e;
            }
            policy = first == null ? PolicyRef.awaitingStore(config)
                    : new PolicyRef(config.withEndpoints(first.endpoints()));
            metrics.storeRevision(first == null ? 0 : first.revision());
            store = etcd;
        } else {
            store = new FileEndpointStore(config.endpointsFile(), loader);
            policy = new PolicyRef(config);
            metrics.storeRevision(1);
        }
        final GatewayServer server;
        try {
            server = new GatewayServer(config, policy, metrics, n, transport);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        try {
            server.bind(config.listen());
            server.liveConfig = LiveConfig.start(server.policy, loader, metrics, store);
            server.admin = AdminServer.start(config.admin(), server.adminTls, server.policy, server.liveConfig,
                    metrics, server::ready);
            logger.info("admin server listening on {} (page {}://{}/, metrics, healthz, readyz, api)",
                    server.adminAddress(), config.admin().tls() == null ? "http" : "https",
                    hostAndPort(server.adminAddress()));
            store.announce(new Replica(config.etcd() != null ? config.etcd().replicaId() : LocalHost.name(), LocalHost.name(),
                    server.listenAddress().getPort(), server.adminAddress().getPort(), version(),
                    Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), 0));
        } catch (RuntimeException | InterruptedException e) {
            if (server.liveConfig == null) {
                store.close();
            }
            server.close();
            throw e;
        }
        return server;
    }

    /** The jar's version, or {@code development build} when run from classes. */
    public static String version() {
        final String v = GatewayServer.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }

    /** {@code 127.0.0.1:9090}, or {@code [::1]:9090}. */
    private static String hostAndPort(InetSocketAddress address) {
        final String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private void bind(ListenConfig listen) throws InterruptedException {
        final ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Netty's defaults, stated because two behaviours hang on them: above 64 KiB waiting for a client
                // the relay stops reading from the backend and limits.sendTimeout starts counting; below 32 KiB
                // both resume.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ProxyChannelInitializer(policy, metrics, pools, tls, clientChannels, () -> draining,
                        identities, tracing));
        listener = bootstrap.bind(listen.address(), listen.port()).sync().channel();
        logger.info("proxy listening on {} ({} transport, {} event loops)", listenAddress(), transport,
                ((io.netty.channel.MultiThreadIoEventLoopGroup) workers).executorCount());
    }

    /** The bound proxy address (the chosen port when {@code listen.port} is 0). */
    public InetSocketAddress listenAddress() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** The bound admin server address (the chosen port when {@code admin.port} is 0). */
    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    /**
     * {@code /readyz}: configuration and an endpoint set loaded, the proxy listening, not draining (SPEC §7,
     * §9, §10), and the signing keys of every {@code identity} block loaded once (SPEC §13: until then every
     * call that needs a token would be refused). Losing the etcd store or the key endpoint later does not make
     * a replica unready (fail static).
     */
    public boolean ready() {
        final Channel proxy = listener;
        return !draining && proxy != null && proxy.isActive() && policy.get().endpointsLoaded() && identities.ready();
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
     * SPEC §9: {@code /readyz} turns {@code 503} (the admin server stays up), stops accepting, lets in-flight
     * requests finish (answered with {@code Connection: close}), closes idle keep-alive connections, and waits
     * up to {@code timeout} for the rest.
     *
     * @return whether every client connection ended within the timeout
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        draining = true;
        metrics.draining();
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
            logger.warn("drain timeout: closing {} connections still open; raise limits.drainTimeout (and the "
                    + "termination grace period above it) if requests need longer", clientChannels.size());
            clientChannels.close().await(5, TimeUnit.SECONDS);
        }
        return clean;
    }

    /** Closes everything at once, the admin server and the configuration watch included. */
    @Override
    public void close() {
        draining = true;
        if (admin != null) {
            admin.close();
        }
        if (liveConfig != null) {
            liveConfig.close();
        }
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        clientChannels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        pools.closeIdle();
        pools.close();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        tls.close();
        adminTls.close();
        identities.close();
        if (tracing != null) {
            tracing.close(); // last: the spans of the calls that ended above go out
        }
    }
}
