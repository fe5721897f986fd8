package dev.privateupstream.caller;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.ListenConfig.ForwardedHeader;
import dev.privateupstream.config.ListenConfig.ProxyProtocolMode;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.reload.PolicyRef;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * {@code listen.rejectAtConnect} (SPEC §4): closes a connection whose caller no endpoint can ever allow,
 * before any request byte is read, then gets out of the way of every other connection by removing itself.
 *
 * <p>It judges the client the connection speaks for, with {@code PolicySnapshot.canEverAllow}:
 * <ul>
 *   <li>a direct client, or a peer that is not a trusted proxy: the TCP peer, when the connection becomes
 *       active. Passing {@code channelActive} on is what starts reading, so a refused connection is closed
 *       with nothing read at all.</li>
 *   <li>a trusted proxy under {@code proxyProtocol}: the PROXY source, once the header is decoded
 *       ({@link CallerResolvedEvent}) and before any byte after it goes on. A proxy speaking for itself
 *       ({@code LOCAL} health checks, {@code UNKNOWN}, no header) is not refused here, so load-balancer
 *       probes are not counted as rejections; their requests are still decided one by one.</li>
 *   <li>a connection whose caller is a trusted proxy under {@code forwardedHeader}: admitted, since each
 *       request names its own caller.</li>
 *   <li>a connection carrying an Azure link id: admitted, since the link id, not the address, picks the
 *       endpoint and each request is decided with it.</li>
 * </ul>
 *
 * <p>Increments {@code gateway_denied_total{reason="rejected-at-connect"}}.
 */
@Sharable
final class RejectAtConnectHandler extends ChannelInboundHandlerAdapter {
    private final CallerPolicy callers;
    private final PolicyRef policy;
    private final GatewayMetrics metrics;

    RejectAtConnectHandler(CallerPolicy callers, PolicyRef policy, GatewayMetrics metrics) {
        this.callers = requireNonNull(callers, "callers");
        this.policy = requireNonNull(policy, "policy");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        final ConnectionFacts facts = ConnectionFacts.of(ctx.channel());
        if (callers.proxyProtocol() != ProxyProtocolMode.DISABLED && callers.trusted(facts.peerAddress())) {
            ctx.fireChannelActive(); // the PROXY header will say who calls: judged then
            return;
        }
        if (admits(facts)) {
            ctx.pipeline().remove(this);
            ctx.fireChannelActive();
        } else {
            reject(ctx);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (!(evt instanceof CallerResolvedEvent)) {
            super.userEventTriggered(ctx, evt);
            return;
        }
        if (evt == CallerResolvedEvent.PROXY_ITSELF || admits(ConnectionFacts.of(ctx.channel()))) {
            ctx.pipeline().remove(this);
        } else {
            reject(ctx);
        }
        // Ours alone: nobody behind waits for it.
    }

    private boolean admits(ConnectionFacts facts) {
        return facts.linkId() != null
               || callers.forwardedHeader() == ForwardedHeader.X_FORWARDED_FOR && callers.trusted(facts.caller())
               || policy.get().canEverAllow(facts.caller());
    }

    private void reject(ChannelHandlerContext ctx) {
        metrics.denied(DenyReason.REJECTED_AT_CONNECT);
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Reached only on a rejected connection: an admitted one removed this handler before any byte
        // after the PROXY header moved on. Never forwarded.
        ReferenceCountUtil.release(msg);
    }
}
