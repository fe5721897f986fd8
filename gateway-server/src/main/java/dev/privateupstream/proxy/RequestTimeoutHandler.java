package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.metrics.Outcome;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how long a client may take to send a request head and how long a kept-alive connection may sit
 * idle (SPEC §4 {@code limits.headerTimeout}, {@code limits.idleTimeout}).
 *
 * <p>The header timer runs from the first byte of a head ({@link RequestHeadEvent#STARTED}) until the
 * decoded request arrives; when it fires the client gets {@code 408 header-timeout} and the connection
 * closes, which ends slowloris clients. The idle timer runs while no request is in progress and closes
 * the connection quietly. Increments {@code gateway_requests_total{upstream="none",outcome="error",status="408"}}.
 *
 * <p>Timers are armed lazily, because a keep-alive connection under load goes through both states on
 * every request and scheduling and cancelling a task each time costs more than the rest of this handler.
 * A head that completes within the read it started in never arms the header timer (it is armed at the end
 * of a read that left a head incomplete, for the time left since its first byte). The idle timer is not
 * cancelled when a request starts: when it fires it closes the connection only if it has been idle for
 * the whole timeout since it last became idle, and otherwise arms itself for the time left, or leaves the
 * next idle period to arm it.
 */
final class RequestTimeoutHandler extends ChannelDuplexHandler {
    private final long headerTimeoutNanos;
    private final long idleTimeoutNanos;
    private final GatewayMetrics metrics;
    private ScheduledFuture<?> headerTimer;
    /** A head has started and its request has not been decoded yet. */
    private boolean headPending;
    private long headStartNanos;
    private ScheduledFuture<?> idleTimer;
    private long idleSinceNanos;
    private int inProgress;

    RequestTimeoutHandler(long headerTimeoutNanos, long idleTimeoutNanos, GatewayMetrics metrics) {
        this.headerTimeoutNanos = headerTimeoutNanos;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            becomeIdle(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        becomeIdle(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == RequestHeadEvent.STARTED) {
            if (!headPending) {
                headPending = true;
                headStartNanos = System.nanoTime();
            }
            return; // ours alone
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            headPending = false;
            cancelHeader();
            inProgress++;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (headPending && headerTimer == null) {
            final long left = headStartNanos + headerTimeoutNanos - System.nanoTime();
            headerTimer = ctx.executor().schedule(() -> headerTimedOut(ctx), Math.max(0, left), TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent && inProgress > 0 && !GatewayResponses.isInformational(msg)) {
            inProgress--;
            if (inProgress == 0) {
                becomeIdle(ctx);
            }
        }
        ctx.write(msg, promise);
    }

    private void headerTimedOut(ChannelHandlerContext ctx) {
        headerTimer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        metrics.request("none", Outcome.ERROR, ProxyError.HEADER_TIMEOUT.httpStatus());
        ctx.writeAndFlush(GatewayResponses.error(ctx.alloc(), ProxyError.HEADER_TIMEOUT, true))
                .addListener(ChannelFutureListener.CLOSE);
    }

    private boolean idle() {
        return inProgress == 0 && !headPending;
    }

    private void becomeIdle(ChannelHandlerContext ctx) {
        idleSinceNanos = System.nanoTime();
        if (idleTimer == null) {
            armIdle(ctx, idleTimeoutNanos);
        }
    }

    private void armIdle(ChannelHandlerContext ctx, long delayNanos) {
        idleTimer = ctx.executor().schedule(() -> idleTimerFired(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void idleTimerFired(ChannelHandlerContext ctx) {
        idleTimer = null;
        if (!idle()) {
            return; // busy: the end of the request in progress arms it again
        }
        final long left = idleSinceNanos + idleTimeoutNanos - System.nanoTime();
        if (left > 0) {
            armIdle(ctx, left); // it served requests meanwhile: idle only since idleSinceNanos
        } else {
            ctx.close();
        }
    }

    private void cancelIdle() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    private void cancelHeader() {
        if (headerTimer != null) {
            headerTimer.cancel(false);
            headerTimer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelHeader();
        cancelIdle();
        super.channelInactive(ctx);
    }
}
