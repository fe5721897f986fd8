package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.caller.CallerPolicy;
import dev.privateupstream.caller.CallerPolicyRef;
import dev.privateupstream.caller.ConnectionFacts;
import dev.privateupstream.config.LimitsConfig;
import dev.privateupstream.identity.CallerIdentities;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.tls.ServerTls;
import dev.privateupstream.tracing.GatewayTracing;
import dev.privateupstream.upstream.UpstreamPools;
import dev.privateupstream.upstream.UpstreamRelayHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.function.BooleanSupplier;

/**
 * The client connection pipeline, in the order of SPEC §5's checks: who calls (PROXY header,
 * {@code rejectAtConnect}), TLS, framing and limits, the forwarded header, the access decision, Web PubSub's
 * abuse-protection handshake, the token (SPEC §13), the SignalR or Web PubSub signature and shape, the header
 * rewrite, the relay; with tracing on, the server span behind the exchange and the client span before the
 * relay. Only adds handlers; each holds its own concern and its few
 * dependencies. The caller-resolution handlers sit behind the connection counter, which must see every
 * connection become active before any of them may close it, and behind the send timeout, which closes a
 * connection whose client stopped reading without going through TLS.
 */
public final class ProxyChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final int MAX_CHUNK = 65536;

    private final PolicyRef policy;
    private final GatewayMetrics metrics;
    private final UpstreamPools pools;
    private final ServerTls tls;
    private final CallerPolicyRef callers;
    private final ChannelGroup channels;
    private final BooleanSupplier draining;
    private final ExchangeRecorder recorder;
    private final SignalRCheckHandler signalr;
    private final WebPubSubCheckHandler webpubsub;
    private final AbuseProtectionHandler abuseProtection;
    private final CallerIdentities identities;
    private final HeaderRewriteHandler rewrite = new HeaderRewriteHandler();
    private final ConnectionCountHandler connectionCount;
    /** {@code null} when tracing is off: then no handler of it is added and calls pay nothing for it. */
    private final GatewayTracing tracing;

    /** A pipeline whose token checks fetch their keys through a {@link CallerIdentities} of its own. */
    public ProxyChannelInitializer(PolicyRef policy, GatewayMetrics metrics, UpstreamPools pools, ServerTls tls,
            ChannelGroup channels, BooleanSupplier draining) {
        this(policy, metrics, pools, tls, channels, draining, new CallerIdentities(metrics::identityKeyRefresh));
    }

    /** A pipeline without tracing. */
    public ProxyChannelInitializer(PolicyRef policy, GatewayMetrics metrics, UpstreamPools pools, ServerTls tls,
            ChannelGroup channels, BooleanSupplier draining, CallerIdentities identities) {
        this(policy, metrics, pools, tls, channels, draining, identities, null);
    }

    /** @param tracing the spans of SPEC §12, or {@code null} when tracing is off */
    public ProxyChannelInitializer(PolicyRef policy, GatewayMetrics metrics, UpstreamPools pools, ServerTls tls,
            ChannelGroup channels, BooleanSupplier draining, CallerIdentities identities, GatewayTracing tracing) {
        this.policy = requireNonNull(policy, "policy");
        this.metrics = requireNonNull(metrics, "metrics");
        this.pools = requireNonNull(pools, "pools");
        this.tls = requireNonNull(tls, "tls");
        callers = new CallerPolicyRef(policy, metrics);
        this.channels = requireNonNull(channels, "channels");
        this.draining = requireNonNull(draining, "draining");
        recorder = new ExchangeRecorder(metrics);
        signalr = new SignalRCheckHandler(metrics);
        webpubsub = new WebPubSubCheckHandler(metrics);
        abuseProtection = new AbuseProtectionHandler(metrics);
        this.identities = requireNonNull(identities, "identities");
        connectionCount = new ConnectionCountHandler(metrics);
        this.tracing = tracing;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        channels.add(ch);
        final ConnectionFacts facts = new ConnectionFacts(ch.remoteAddress());
        ch.attr(ConnectionFacts.KEY).set(facts);
        // Limits, listen.* and the certificate are read per connection: a reload applies to the next one.
        final LimitsConfig limits = policy.get().config().limits();
        final CallerPolicy caller = callers.get();
        final StrictHttpRequestDecoder decoder = new StrictHttpRequestDecoder(limits.maxHeaderBytes(), MAX_CHUNK);
        final ChannelPipeline p = ch.pipeline();
        // Flushes during a client read wait for its end; others (the relay's, once per backend read) go out
        // at once instead of in a task of their own.
        p.addLast("flush", new FlushConsolidationHandler(256, false));
        p.addLast("connections", connectionCount);
        // Near the head: its close bypasses TLS, whose close_notify a client that does not read never takes.
        p.addLast("send-timeout", new SendTimeoutHandler(limits.sendTimeout().toNanos(), metrics));
        addIfPresent(p, "proxy-protocol", caller.newProxyProtocolHandler(limits.headerTimeout()));
        addIfPresent(p, "reject-at-connect", caller.rejectAtConnectHandler());
        // After the PROXY header, which a proxy sends in clear before the client's TLS handshake.
        facts.secure(addIfPresent(p, "tls", tls.newHandler(ch.alloc(), limits.headerTimeout())));
        p.addLast("decoder", decoder);
        p.addLast("encoder", new HttpResponseEncoder());
        p.addLast("exchange", new ExchangeHandler(decoder, recorder, draining, limits.maxBodyBytes()));
        if (tracing != null) {
            p.addLast("server-span", tracing.newServerSpanHandler()); // sees every answer to a request it saw
        }
        p.addLast("timeouts", new RequestTimeoutHandler(limits.headerTimeout().toNanos(),
                limits.idleTimeout().toNanos(), metrics));
        p.addLast("limits", new LimitsHandler(limits.maxBodyBytes()));
        addIfPresent(p, "forwarded-for", caller.forwardedForResolver());
        p.addLast("decision", new AccessDecisionHandler(policy, metrics));
        p.addLast("abuse-protection", abuseProtection);
        p.addLast("identity", new IdentityCheckHandler(identities, metrics, limits.upstreamConnectTimeout().toNanos()));
        p.addLast("signalr", signalr);
        p.addLast("webpubsub", webpubsub);
        p.addLast("rewrite", rewrite);
        if (tracing != null) {
            p.addLast("client-span", tracing.newClientSpanHandler()); // after the rewrite: its traceparent stays
        }
        p.addLast("relay", new UpstreamRelayHandler(pools, metrics, limits.upstreamResponseTimeout().toNanos()));
    }

    /** Adds {@code handler} unless it is {@code null} (its feature is off); whether it was added. */
    private static boolean addIfPresent(ChannelPipeline p, String name, ChannelHandler handler) {
        if (handler != null) {
            p.addLast(name, handler);
        }
        return handler != null;
    }
}
