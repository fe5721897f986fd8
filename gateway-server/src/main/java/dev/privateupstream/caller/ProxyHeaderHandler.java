package dev.privateupstream.caller;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.DenyReason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits behind Netty's {@link HAProxyMessageDecoder} for one connection from a trusted proxy: stores what
 * the header says in {@link ConnectionFacts} (see {@link ProxyHeader}), tells
 * {@link RejectAtConnectHandler} through a {@link CallerResolvedEvent}, releases the message and removes
 * itself. The decoder removes itself too, passing on the bytes that followed the header.
 *
 * <p>A header the decoder refuses (it closes the connection itself, as the protocol asks), or one that
 * {@link ProxyHeader} refuses, is counted as {@code bad-proxy-header}; nothing after it is forwarded.
 *
 * <p>Increments {@code gateway_denied_total{reason="bad-proxy-header"}}.
 */
final class ProxyHeaderHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(ProxyHeaderHandler.class);

    private final GatewayMetrics metrics;
    /** The header deadline, handed over by {@link ProxyProtocolHandler}; {@code null} once settled. */
    private ScheduledFuture<?> deadline;
    private boolean settled;

    ProxyHeaderHandler(GatewayMetrics metrics, ScheduledFuture<?> deadline) {
        this.metrics = requireNonNull(metrics, "metrics");
        this.deadline = deadline;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (settled || !(msg instanceof HAProxyMessage)) {
            // Only after a refused header: the decoder passes on what followed it, or decodes it once more
            // as the connection closes. Never used, never forwarded.
            ReferenceCountUtil.release(msg);
            return;
        }
        final HAProxyMessage message = (HAProxyMessage) msg;
        final ProxyHeader header;
        try {
            header = ProxyHeader.of(message);
        } catch (IllegalArgumentException e) {
            refuse(ctx, e);
            return;
        } finally {
            message.release(); // everything needed was copied out
        }
        settle();
        final ConnectionFacts facts = ConnectionFacts.of(ctx.channel());
        if (header.source() != null) {
            facts.caller(header.source());
        }
        facts.linkId(header.linkId());
        // Before the bytes after the header move on: whoever judges the caller does so first.
        ctx.fireUserEventTriggered(header.source() != null
                ? CallerResolvedEvent.PROXIED_CLIENT : CallerResolvedEvent.PROXY_ITSELF);
        ctx.pipeline().remove(this);
        if (!ctx.channel().config().isAutoRead() && ctx.channel().isActive()) {
            // The header used up the read that was meant for the first request. When it came alone (a
            // proxy sends it as soon as it connects), nothing behind received a byte, so nothing behind
            // would ask for more (Netty's decoders only read again after a read of their own).
            ctx.read();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            // The PROXY decoder refused the header and closed the connection. It may refuse once more what
            // followed the header as the connection closes: counted once, and kept from the HTTP handlers.
            if (!settled) {
                refuse(ctx, cause);
            }
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    private void refuse(ChannelHandlerContext ctx, Throwable cause) {
        settle();
        metrics.denied(DenyReason.BAD_PROXY_HEADER);
        logger.debug("bad PROXY header from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private void settle() {
        settled = true;
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
