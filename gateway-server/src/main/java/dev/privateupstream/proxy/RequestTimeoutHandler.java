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
 */
final class RequestTimeoutHandler extends ChannelDuplexHandler {
    private final long headerTimeoutNanos;
    private final long idleTimeoutNanos;
    private final GatewayMetrics metrics;
    private ScheduledFuture<?> headerTimer;
    private ScheduledFuture<?> idleTimer;
    private int inProgress;

    RequestTimeoutHandler(long headerTimeoutNanos, long idleTimeoutNanos, GatewayMetrics metrics) {
        this.headerTimeoutNanos = headerTimeoutNanos;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            startIdle(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        startIdle(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == RequestHeadEvent.STARTED) {
            cancelIdle();
            if (headerTimer == null) {
                headerTimer = ctx.executor().schedule(() -> headerTimedOut(ctx), headerTimeoutNanos,
                        TimeUnit.NANOSECONDS);
            }
            return; // ours alone
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            cancelHeader();
            cancelIdle();
            inProgress++;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent && inProgress > 0 && !GatewayResponses.isInformational(msg)) {
            inProgress--;
            if (inProgress == 0) {
                startIdle(ctx);
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

    private void startIdle(ChannelHandlerContext ctx) {
        cancelIdle();
        idleTimer = ctx.executor().schedule(() -> {
            idleTimer = null;
            if (inProgress == 0 && headerTimer == null) {
                ctx.close();
            }
        }, idleTimeoutNanos, TimeUnit.NANOSECONDS);
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
