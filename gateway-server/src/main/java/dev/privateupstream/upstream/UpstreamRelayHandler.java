package dev.privateupstream.upstream;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.proxy.GatewayResponses;
import dev.privateupstream.proxy.ProxyError;
import dev.privateupstream.proxy.ProxyExchange;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays an allowed request to its upstream over a pooled connection of this event loop, and the response
 * back, streaming both bodies with backpressure (SPEC §6).
 *
 * <p>Both channels run with AUTO_READ off: the client is read again only when the backend can take more,
 * and the backend only when the client can. Nothing is aggregated; what arrives before the backend
 * connection is ready waits in a short queue, bounded because the client is not read meanwhile.
 *
 * <p>Failures: no connection, or a reset before the response head: {@code 502 upstream-unreachable}. No
 * response head within {@code upstreamResponseTimeout}: {@code 504 upstream-timeout}. A backend that fails
 * mid-response closes the client connection, so a truncated answer is never passed off as complete.
 * Records {@code gateway_upstream_request_duration_seconds{upstream}}.
 */
public final class UpstreamRelayHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(UpstreamRelayHandler.class);

    private final UpstreamPools pools;
    private final GatewayMetrics metrics;
    private final long responseTimeoutNanos;

    private ChannelHandlerContext ctx;
    // State of the exchange in progress.
    private ProxyExchange exchange;
    private UpstreamPool pool;
    private Future<Channel> acquiring;
    private Channel backend;
    private final ArrayDeque<HttpObject> pending = new ArrayDeque<>(4);
    private boolean requestSent;
    private boolean responseStarted;
    private ScheduledFuture<?> responseTimer;
    private long sentNanos;
    private boolean backendKeepAlive;

    public UpstreamRelayHandler(UpstreamPools pools, GatewayMetrics metrics, long responseTimeoutNanos) {
        this.pools = requireNonNull(pools, "pools");
        this.metrics = requireNonNull(metrics, "metrics");
        this.responseTimeoutNanos = responseTimeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            start((HttpRequest) msg);
        } else if (msg instanceof HttpContent) {
            forwardContent((HttpContent) msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void start(HttpRequest request) {
        exchange = ProxyExchange.current(ctx.channel());
        requestSent = false;
        responseStarted = false;
        backendKeepAlive = false;
        pending.add(request);
        final UpstreamConfig upstream = exchange.decision().route().upstream();
        pool = pools.pool(ctx.channel().eventLoop(), upstream);
        responseTimer = ctx.executor().schedule(this::responseTimedOut, responseTimeoutNanos, TimeUnit.NANOSECONDS);
        final Future<Channel> acquire = pool.acquire();
        if (acquire.isDone()) {
            acquired(acquire);
        } else {
            acquiring = acquire;
            acquire.addListener(f -> acquired(acquire));
        }
    }

    private void forwardContent(HttpContent content) {
        if (exchange == null || (backend == null && acquiring == null && requestSent)) {
            content.release(); // the exchange ended early (backend answered or failed): nowhere to go
            return;
        }
        if (backend == null) {
            pending.add(content); // held until the backend connection is ready
            return;
        }
        writeToBackend(content);
        backend.flush();
    }

    private void acquired(Future<Channel> acquire) {
        if (acquiring == acquire) {
            acquiring = null;
        }
        if (exchange == null || exchange != ProxyExchange.current(ctx.channel()) || !ctx.channel().isActive()) {
            if (acquire.isSuccess()) {
                pool.release(acquire.getNow(), true); // the client went away meanwhile
            }
            return;
        }
        if (!acquire.isSuccess()) {
            failBeforeResponse(ProxyError.UPSTREAM_UNREACHABLE);
            return;
        }
        backend = acquire.getNow();
        BackendHandler.of(backend).bind(this);
        if (exchange.expectContinue()) {
            ctx.writeAndFlush(GatewayResponses.continueResponse());
        }
        sentNanos = System.nanoTime();
        HttpObject msg;
        while ((msg = pending.poll()) != null) {
            writeToBackend(msg);
        }
        backend.flush();
        requestSent = true;
        backend.read(); // the response head
    }

    private void writeToBackend(HttpObject msg) {
        final boolean last = msg instanceof LastHttpContent;
        final Channel target = backend;
        target.write(msg).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                target.close(); // backendClosed() decides what the client sees
            } else if (!last && target == backend && target.isWritable() && exchange != null
                    && !exchange.requestComplete()) {
                ctx.read(); // the backend took it: more of the body
            }
        });
    }

    void backendWritabilityChanged(Channel channel) {
        if (channel == backend && channel.isWritable() && exchange != null && !exchange.requestComplete()) {
            ctx.read();
        }
    }

    void backendRead(Channel channel, Object msg) {
        if (channel != backend) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse) {
            final HttpResponse response = (HttpResponse) msg;
            if (GatewayResponses.isInformational(response)) {
                ReferenceCountUtil.release(msg); // interim: the client got its 100 from us already
                channel.read();
                return;
            }
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                channel.close(); // malformed: backendClosed() answers 502
                return;
            }
            cancelTimer();
            responseStarted = true;
            backendKeepAlive = HttpUtil.isKeepAlive(response);
        } else if (msg instanceof HttpContent && ((HttpContent) msg).decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            channel.close(); // mid-response: backendClosed() closes the client
            return;
        }
        final boolean last = msg instanceof LastHttpContent;
        if (last) {
            // Reuse only when both directions ended cleanly and the backend keeps the connection.
            final boolean reusable = backendKeepAlive && exchange.requestComplete();
            metrics.upstreamDuration(exchange.upstream(), System.nanoTime() - sentNanos);
            detachBackend(reusable);
            ctx.writeAndFlush(msg); // ownership passes to the client pipeline
            endExchange();
            return;
        }
        ctx.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess() && channel == backend && ctx.channel().isWritable()) {
                channel.read();
            }
        });
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && backend != null && responseStarted) {
            backend.read();
        }
        super.channelWritabilityChanged(ctx);
    }

    void backendClosed(Channel channel) {
        if (channel != backend) {
            return;
        }
        backend = null;
        if (!responseStarted) {
            failBeforeResponse(ProxyError.UPSTREAM_UNREACHABLE);
        } else {
            ctx.close(); // truncated: never passed off as complete
            endExchange();
        }
    }

    private void responseTimedOut() {
        responseTimer = null;
        if (exchange != null && !responseStarted) {
            failBeforeResponse(ProxyError.UPSTREAM_TIMEOUT);
        }
    }

    private void failBeforeResponse(ProxyError error) {
        cancelTimer();
        if (acquiring != null) {
            acquiring.cancel(false);
            acquiring = null;
        }
        detachBackend(false);
        releasePending();
        final ProxyExchange current = exchange;
        endExchange();
        if (current != null && ctx.channel().isActive() && !current.responseStarted()) {
            current.failed(error);
            ctx.writeAndFlush(GatewayResponses.error(ctx.alloc(), error, false));
        }
    }

    private void detachBackend(boolean reusable) {
        final Channel b = backend;
        backend = null;
        if (b != null) {
            BackendHandler.of(b).bind(null);
            pool.release(b, reusable);
        }
    }

    private void endExchange() {
        cancelTimer();
        exchange = null;
    }

    private void cancelTimer() {
        if (responseTimer != null) {
            responseTimer.cancel(false);
            responseTimer = null;
        }
    }

    private void releasePending() {
        HttpObject msg;
        while ((msg = pending.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The end of the pipeline: whatever went wrong on this connection, it cannot go on.
        logger.debug("closing client connection {}: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimer();
        if (acquiring != null) {
            acquiring.cancel(false);
            acquiring = null;
        }
        detachBackend(false);
        releasePending();
        exchange = null;
        super.channelInactive(ctx);
    }
}
