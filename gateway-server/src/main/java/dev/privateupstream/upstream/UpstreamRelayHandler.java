package dev.privateupstream.upstream;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.proxy.GatewayResponses;
import dev.privateupstream.proxy.ProxyError;
import dev.privateupstream.proxy.ProxyExchange;
import dev.privateupstream.proxy.RequestAbortedEvent;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
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
 * mid-response closes the client connection, so a truncated answer is never passed off as complete; so
 * does one that falls silent mid-response for {@code upstreamResponseTimeout} while the gateway waits to
 * read from it.
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
    /**
     * One timer per connection, armed lazily: waiting for the backend sets {@link #responseDeadlineNanos}
     * (0 while not waiting), and the timer, when it fires, ends the exchange only if that deadline has
     * passed, else re-arms itself for the rest. A keep-alive connection then schedules about one task per
     * {@code upstreamResponseTimeout} instead of a schedule and a cancel per request.
     */
    private ScheduledFuture<?> responseTimer;
    private long responseDeadlineNanos;
    private long sentNanos;
    private boolean backendKeepAlive;
    /**
     * Writes to the backend wait for the end of the client read that produced them: a request head and
     * its body then leave in one syscall and one TCP segment instead of one per message.
     */
    private boolean backendFlushPending;
    /** Likewise, response parts wait for the end of the backend read that produced them. */
    private boolean clientFlushPending;
    /**
     * A response head held until the end of the backend read that delivered it: when the same read also
     * delivered the whole body, as it does for nearly every SignalR answer, head and body go to the client
     * as one message, through the client pipeline once and out in one buffer.
     */
    private HttpResponse heldHead;
    /**
     * Netty's decoder follows every interim (1xx) response head with an empty last content: that one
     * ends the interim response, not the exchange, and is dropped with it.
     */
    private boolean interimEndExpected;

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
            start((HttpRequest) msg); // a whole request (head and body) too
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
        interimEndExpected = false;
        pending.add(request);
        final UpstreamConfig upstream = exchange.decision().route().upstream();
        pool = pools.pool(ctx.channel().eventLoop(), upstream);
        awaitBackend();
        final Future<Channel> acquire = pool.acquire();
        if (acquire.isDone()) {
            acquired(acquire, false); // inside channelRead: channelReadComplete flushes
        } else {
            acquiring = acquire;
            acquire.addListener(f -> acquired(acquire, true));
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
        if (content instanceof LastHttpContent) {
            flushBackend(); // the request is complete: nothing more to wait for
            readAhead();
        } else {
            backendFlushPending = true;
        }
    }

    /**
     * Once the whole request is on its way, keeps one read armed on the client while the response is
     * awaited. The paused decoder holds whatever arrives (one read's worth at most, a pipelined request
     * or the client's close), and the socket's read interest need not be dropped and re-registered with
     * the kernel around every exchange of a keep-alive connection.
     */
    private void readAhead() {
        if (ctx.channel().isActive()) {
            ctx.read();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (backendFlushPending) {
            flushBackend();
        }
        ctx.fireChannelReadComplete();
    }

    private void flushBackend() {
        backendFlushPending = false;
        if (backend != null) {
            backend.flush();
            readMoreBody();
        }
    }

    private void acquired(Future<Channel> acquire, boolean flush) {
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
        BackendHandler.of(backend).bind(this, exchange.upstream());
        if (exchange.expectContinue()) {
            ctx.writeAndFlush(GatewayResponses.continueResponse());
        }
        sentNanos = System.nanoTime();
        HttpObject msg;
        while ((msg = pending.poll()) != null) {
            writeToBackend(msg);
        }
        // A whole request (head and body decoded together) has nothing more to wait for.
        if (flush || exchange.requestComplete()) {
            flushBackend();
            if (exchange.requestComplete()) {
                readAhead();
            }
        } else {
            backendFlushPending = true;
        }
        requestSent = true;
        backend.read(); // the response head
    }

    private void writeToBackend(HttpObject msg) {
        // No promise to complete: a failed write reaches the backend's exceptionCaught, which closes it,
        // and backendClosed() then decides what the client sees. More of a body is read once the flush
        // leaves the backend writable (readMoreBody), or when it becomes writable again.
        backend.write(msg, backend.voidPromise());
    }

    void backendWritabilityChanged(Channel channel) {
        if (channel == backend) {
            readMoreBody();
        }
    }

    /** Reads more of the request body while the backend keeps up with it. */
    private void readMoreBody() {
        if (backend != null && backend.isWritable() && exchange != null && !exchange.requestComplete()) {
            ctx.read();
        }
    }

    void backendRead(Channel channel, Object msg) {
        if (channel != backend) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (responseStarted) {
            cancelTimer(); // the backend spoke: its silence is timed again from the next read
        }
        if (interimEndExpected && msg instanceof LastHttpContent) {
            interimEndExpected = false;
            ReferenceCountUtil.release(msg); // the end of an interim response: the final one is still to come
            return;
        }
        if (msg instanceof HttpResponse) {
            final HttpResponse response = (HttpResponse) msg;
            if (GatewayResponses.isInformational(response)) {
                // Interim (100 Continue, 103 Early Hints): the client got its 100 from us already.
                ReferenceCountUtil.release(msg);
                interimEndExpected = true;
                channel.read();
                return;
            }
            if (response.decoderResult().isFailure() || !isFinalStatus(response.status().code())) {
                ReferenceCountUtil.release(msg);
                // Malformed: 502 now, so that nothing else this connection still decodes (the rest of
                // the response) can reach the client; then the connection goes.
                backendClosed(channel);
                channel.close();
                return;
            }
            cancelTimer();
            responseStarted = true;
            backendKeepAlive = HttpUtil.isKeepAlive(response);
            if (!(msg instanceof LastHttpContent)) {
                heldHead = response; // the rest of this read may complete it: see backendReadComplete
                clientFlushPending = true;
                return;
            }
            // A whole response, decoded as one message: it ends the exchange below.
        }
        if (msg instanceof HttpContent && ((HttpContent) msg).decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            backendClosed(channel); // mid-response: the client connection ends
            channel.close();
            return;
        }
        final boolean last = msg instanceof LastHttpContent;
        if (last) {
            // Reuse only when both directions ended cleanly and the backend keeps the connection.
            final boolean reusable = backendKeepAlive && exchange.requestComplete();
            metrics.upstreamDuration(exchange.upstream(), System.nanoTime() - sentNanos);
            detachBackend(reusable);
            clientFlushPending = false;
            final HttpResponse head = heldHead;
            heldHead = null;
            // Ownership passes to the client pipeline.
            ctx.writeAndFlush(head == null ? msg : whole(head, (LastHttpContent) msg));
            endExchange();
            return;
        }
        writeHeldHead();
        clientFlushPending = true; // backendReadComplete() flushes, then asks for more
        ctx.write(msg, ctx.voidPromise()); // a failed write reaches exceptionCaught, which closes
    }

    /** The head and the whole body of a response as one message (the body's buffer is not copied). */
    private static FullHttpResponse whole(HttpResponse head, LastHttpContent body) {
        final FullHttpResponse whole = new DefaultFullHttpResponse(head.protocolVersion(), head.status(),
                body.content(), head.headers(), body.trailingHeaders());
        whole.setDecoderResult(head.decoderResult());
        return whole;
    }

    private void writeHeldHead() {
        final HttpResponse head = heldHead;
        if (head != null) {
            heldHead = null;
            ctx.write(head, ctx.voidPromise());
        }
    }

    /** RFC 9110 §15: a final status is three digits from 200 to 599 (1xx are handled before). */
    private static boolean isFinalStatus(int code) {
        return code >= 200 && code <= 599;
    }

    /**
     * Asks the backend for more of the response. If it then stays silent for {@code upstreamResponseTimeout},
     * the answer is cut off. The timer runs only while the gateway waits to read, never while a slow client
     * holds the backend back.
     */
    private void readResponse(Channel channel) {
        channel.read();
        if (responseDeadlineNanos == 0) {
            awaitBackend();
        }
    }

    /** Starts timing the backend's silence: {@code upstreamResponseTimeout} from now. */
    private void awaitBackend() {
        responseDeadlineNanos = System.nanoTime() + responseTimeoutNanos;
        if (responseDeadlineNanos == 0) {
            responseDeadlineNanos = 1; // 0 means "not waiting"
        }
        if (responseTimer == null) {
            responseTimer = ctx.executor().schedule(this::responseTimerFired, responseTimeoutNanos,
                    TimeUnit.NANOSECONDS);
        }
    }

    private void responseTimerFired() {
        responseTimer = null;
        if (exchange == null || responseDeadlineNanos == 0) {
            return; // not waiting for the backend: the next wait arms it again
        }
        final long left = responseDeadlineNanos - System.nanoTime();
        if (left > 0) {
            responseTimer = ctx.executor().schedule(this::responseTimerFired, left, TimeUnit.NANOSECONDS);
            return;
        }
        responseTimedOut();
    }

    /**
     * The backend read that delivered response parts is over: send them on together, and read more of the
     * response while the client keeps up (else {@link #channelWritabilityChanged} does, once it drains).
     */
    void backendReadComplete(Channel channel) {
        if (channel == backend && clientFlushPending) {
            clientFlushPending = false;
            writeHeldHead();
            ctx.flush();
            // Checked again: a failed flush may have ended the exchange.
            if (channel == backend && responseStarted && ctx.channel().isWritable()) {
                readResponse(channel);
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && backend != null && responseStarted) {
            readResponse(backend);
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
            if (clientFlushPending) {
                clientFlushPending = false;
                writeHeldHead();
                ctx.flush(); // what the backend sent before it failed, as it would have gone out
            }
            ctx.close(); // truncated: never passed off as complete
            endExchange();
        }
    }

    private void responseTimedOut() {
        responseDeadlineNanos = 0;
        if (!responseStarted) {
            failBeforeResponse(ProxyError.UPSTREAM_TIMEOUT);
            return;
        }
        // The backend went silent mid-response: the head is out, so the client's connection ends, which
        // is how it learns that the body is short.
        abandon();
        ctx.close();
    }

    private void failBeforeResponse(ProxyError error) {
        final ProxyExchange current = exchange;
        abandon();
        if (current != null && ctx.channel().isActive() && !current.responseStarted()) {
            current.failed(error);
            // A client still sending its body (a stalled or slow upload) is not kept waiting for more:
            // the connection ends with the answer instead of discarding the rest of the body.
            final boolean close = !current.requestComplete();
            if (close) {
                current.closeAfterResponse();
            }
            ctx.writeAndFlush(GatewayResponses.error(ctx.alloc(), error, close));
        }
    }

    /** Drops everything of the exchange in progress: the wait for a connection, the connection, queued content. */
    private void abandon() {
        // The exchange ends first: cancelling the acquisition runs acquired() at once, which must see that
        // nobody waits any more (else it would answer 502 on top of whatever ended the exchange).
        exchange = null;
        cancelTimer();
        final Future<Channel> pendingAcquire = acquiring;
        acquiring = null;
        if (pendingAcquire != null) {
            pendingAcquire.cancel(false);
        }
        detachBackend(false);
        releasePending();
        heldHead = null; // a response head holds no buffer
    }

    private void detachBackend(boolean reusable) {
        final Channel b = backend;
        backend = null;
        if (b != null) {
            BackendHandler.of(b).unbind();
            pool.release(b, reusable);
        }
    }

    private void endExchange() {
        cancelTimer();
        exchange = null;
    }

    /** The gateway no longer waits for the backend; the timer, if armed, finds nothing to do. */
    private void cancelTimer() {
        responseDeadlineNanos = 0;
    }

    /** The connection is gone: the timer too, so it does not hold the handler until it fires. */
    private void stopTimer() {
        responseDeadlineNanos = 0;
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == RequestAbortedEvent.ABORTED) {
            // Refused mid-body (malformed chunk, body over the limit): closing the backend connection
            // before the request ends is how the backend learns it must not act on it.
            abandon();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        abandon();
        stopTimer();
        super.channelInactive(ctx);
    }
}
