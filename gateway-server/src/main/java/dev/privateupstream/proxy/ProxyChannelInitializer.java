package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.caller.ConnectionFacts;
import dev.privateupstream.config.LimitsConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.upstream.UpstreamPools;
import dev.privateupstream.upstream.UpstreamRelayHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.function.BooleanSupplier;

/**
 * The client connection pipeline, in the order of SPEC §5's checks: framing and limits, the access
 * decision, the SignalR checks, the header rewrite, the relay. Only adds handlers; each holds its own
 * concern and its few dependencies.
 */
public final class ProxyChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final int MAX_CHUNK = 65536;

    private final PolicyRef policy;
    private final GatewayMetrics metrics;
    private final UpstreamPools pools;
    private final ChannelGroup channels;
    private final BooleanSupplier draining;
    private final ExchangeRecorder recorder;
    private final AccessDecisionHandler decision;
    private final SignalRCheckHandler signalr;
    private final HeaderRewriteHandler rewrite = new HeaderRewriteHandler();
    private final ConnectionCountHandler connectionCount;

    public ProxyChannelInitializer(PolicyRef policy, GatewayMetrics metrics, UpstreamPools pools,
            ChannelGroup channels, BooleanSupplier draining) {
        this.policy = requireNonNull(policy, "policy");
        this.metrics = requireNonNull(metrics, "metrics");
        this.pools = requireNonNull(pools, "pools");
        this.channels = requireNonNull(channels, "channels");
        this.draining = requireNonNull(draining, "draining");
        recorder = new ExchangeRecorder(metrics);
        decision = new AccessDecisionHandler(policy, metrics);
        signalr = new SignalRCheckHandler(metrics);
        connectionCount = new ConnectionCountHandler(metrics);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        channels.add(ch);
        ch.attr(ConnectionFacts.KEY).set(new ConnectionFacts(ch.remoteAddress()));
        // Limits are read per connection, so a reload applies to the next connection.
        final LimitsConfig limits = policy.get().config().limits();
        final StrictHttpRequestDecoder decoder = new StrictHttpRequestDecoder(limits.maxHeaderBytes(), MAX_CHUNK);
        final ChannelPipeline p = ch.pipeline();
        p.addLast("flush", new FlushConsolidationHandler(256, true));
        p.addLast("connections", connectionCount);
        p.addLast("decoder", decoder);
        p.addLast("encoder", new HttpResponseEncoder());
        p.addLast("exchange", new ExchangeHandler(decoder, recorder, draining, limits.maxBodyBytes()));
        p.addLast("timeouts", new RequestTimeoutHandler(limits.headerTimeout().toNanos(),
                limits.idleTimeout().toNanos(), metrics));
        p.addLast("limits", new LimitsHandler(limits.maxBodyBytes()));
        p.addLast("decision", decision);
        p.addLast("signalr", signalr);
        p.addLast("rewrite", rewrite);
        p.addLast("relay", new UpstreamRelayHandler(pools, metrics, limits.upstreamResponseTimeout().toNanos()));
    }
}
