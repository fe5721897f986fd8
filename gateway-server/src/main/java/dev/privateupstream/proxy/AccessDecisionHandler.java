package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.caller.ConnectionFacts;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.CallFacts;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.signalr.SignalRHeaders;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * Takes the access decision of SPEC §5 for each request, against the snapshot in force when the request
 * arrives, and answers refusals itself: status, JSON body, {@code X-Gateway-Deny-Reason}; the connection
 * stays open. An allowed request goes on with its decision recorded in the {@link ProxyExchange}.
 *
 * <p>Deciding per request, not per connection, is what makes a revoked endpoint stop traffic on open
 * keep-alive connections at their next request. Increments {@code gateway_denied_total{reason}}.
 */
@Sharable
final class AccessDecisionHandler extends ChannelInboundHandlerAdapter {
    private final PolicyRef policy;
    private final GatewayMetrics metrics;

    AccessDecisionHandler(PolicyRef policy, GatewayMetrics metrics) {
        this.policy = requireNonNull(policy, "policy");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        final HttpRequest request = (HttpRequest) msg;
        final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
        final ConnectionFacts connection = ConnectionFacts.of(ctx.channel());
        final PolicySnapshot snapshot = policy.get();
        exchange.snapshot = snapshot;
        if (exchange.caller == null) {
            exchange.caller = connection.caller();
        }
        final HttpHeaders headers = request.headers();
        final Decision decision = snapshot.decide(new CallFacts(exchange.caller, connection.linkId(),
                headers.get(HttpHeaderNames.HOST), headers.get(SignalRHeaders.HUB),
                headers.get(SignalRHeaders.CATEGORY), headers.get(SignalRHeaders.EVENT)));
        exchange.decision(decision);
        if (decision instanceof Decision.Deny) {
            final DenyReason reason = ((Decision.Deny) decision).reason();
            deny(ctx, exchange, reason, metrics);
            ReferenceCountUtil.release(msg); // refused: never forwarded
            return;
        }
        ctx.fireChannelRead(msg); // allowed: ownership passes on
    }

    /** Answers a refusal of SPEC §5 or §6a and counts it. */
    static void deny(ChannelHandlerContext ctx, ProxyExchange exchange, DenyReason reason, GatewayMetrics metrics) {
        metrics.denied(reason);
        exchange.denied(reason);
        ctx.writeAndFlush(GatewayResponses.deny(ctx.alloc(), reason));
    }
}
