package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.DenyReason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * A check of the calls of one service after the access decision (SPEC §6a, §13): a refused request is
 * answered here, counted in {@code gateway_denied_total{reason}} and never forwarded; anything else goes on.
 * Subclasses say only what they refuse.
 */
abstract class CallCheckHandler extends ChannelInboundHandlerAdapter {
    private final GatewayMetrics metrics;

    CallCheckHandler(GatewayMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /** Why {@code request} is refused, or {@code null} when it passes (or is not this check's to judge). */
    abstract DenyReason refusal(HttpRequest request, ProxyExchange exchange);

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
            final DenyReason reason = refusal((HttpRequest) msg, exchange);
            if (reason != null) {
                AccessDecisionHandler.deny(ctx, exchange, reason, metrics);
                ReferenceCountUtil.release(msg); // refused: never forwarded
                return;
            }
        }
        ctx.fireChannelRead(msg); // ownership passes on
    }
}
