package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.UpstreamProtocol;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.webpubsub.AllowedOrigins;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * Answers Web PubSub's abuse-protection handshake itself when {@code webpubsub.allowedOrigins} is set (SPEC
 * §13): an {@code OPTIONS} with {@code WebHook-Request-Origin}, from a caller the access decision allowed to a
 * Web PubSub upstream, gets {@code 200} with {@code WebHook-Allowed-Origin} when one of the header's values is
 * allowed, else {@code 403 origin-not-allowed}; it is never forwarded. Without {@code allowedOrigins} the
 * backend answers it.
 *
 * <p>It runs before the token check: the handshake carries no event to sign and the service may send it
 * without a token (a Function that demanded credentials on it failed validation: Azure/azure-webpubsub#163),
 * and answering it tells the caller nothing but the origin it named itself.
 */
@Sharable
final class AbuseProtectionHandler extends ChannelInboundHandlerAdapter {
    private final GatewayMetrics metrics;

    AbuseProtectionHandler(GatewayMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            final HttpRequest request = (HttpRequest) msg;
            final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
            final AllowedOrigins origins = exchange.snapshot.allowedOrigins();
            if (exchange.protocol() == UpstreamProtocol.WEBPUBSUB && !origins.isEmpty()
                    && AccessDecisionHandler.isHandshake(request)) {
                final String origin = origins.match(request.headers().get(WebPubSubHeaderNames.REQUEST_ORIGIN));
                ReferenceCountUtil.release(msg); // answered here: never forwarded
                if (origin == null) {
                    AccessDecisionHandler.deny(ctx, exchange, DenyReason.ORIGIN_NOT_ALLOWED, metrics);
                } else {
                    exchange.failed(ProxyError.ABUSE_PROTECTION);
                    ctx.writeAndFlush(GatewayResponses.allowedOrigin(origin));
                }
                return;
            }
        }
        ctx.fireChannelRead(msg); // ownership passes on
    }
}
