package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Runs one request/response exchange at a time on a client connection.
 *
 * <p>It opens a {@link ProxyExchange} per request, counts body bytes both ways, decides whether the
 * connection stays open after the response, discards the rest of a request body the gateway has already
 * answered, and when the response is written hands the exchange to the {@link ExchangeRecorder} and lets
 * the decoder go on to the next request. During a drain, a request that arrives on an open connection is
 * answered {@code 503 draining} (SPEC §9).
 */
final class ExchangeHandler extends ChannelDuplexHandler {
    /** How long a connection closing after a refusal keeps draining what the client still sends. */
    /** A lingering connection closes after this long without input from the client... */
    static final long LINGER_MILLIS = 2000;
    /** ...or after this long in all, whatever the client keeps sending (nginx: lingering_time). */
    static final long MAX_LINGER_MILLIS = 10_000;

    private final StrictHttpRequestDecoder decoder;
    private final ExchangeRecorder recorder;
    private final BooleanSupplier draining;
    private final long maxDiscardBytes;
    private ProxyExchange exchange;
    private long discarded;
    private boolean lingering;
    private long lingerDeadlineNanos;
    private ScheduledFuture<?> lingerTimer;

    ExchangeHandler(StrictHttpRequestDecoder decoder, ExchangeRecorder recorder, BooleanSupplier draining,
            long maxDiscardBytes) {
        this.decoder = requireNonNull(decoder, "decoder");
        this.recorder = requireNonNull(recorder, "recorder");
        this.draining = requireNonNull(draining, "draining");
        this.maxDiscardBytes = maxDiscardBytes;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.read(); // AUTO_READ is off: ask for the first request
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (lingering) {
            ReferenceCountUtil.release(msg); // the connection is closing: whatever still comes is dropped
            armLingerTimer(ctx); // the client is still sending: give it another quiet period
            return;
        }
        if (msg instanceof HttpRequest) {
            final HttpRequest request = (HttpRequest) msg;
            exchange = new ProxyExchange(request, System.nanoTime());
            discarded = 0;
            exchange.closeAfterResponse = !HttpUtil.isKeepAlive(request);
            ctx.channel().attr(ProxyExchange.KEY).set(exchange);
            if (draining.getAsBoolean() && request.decoderResult().isSuccess()) {
                exchange.closeAfterResponse = true;
                exchange.failed(ProxyError.DRAINING);
                ctx.writeAndFlush(GatewayResponses.error(ctx.alloc(), ProxyError.DRAINING, true));
                if (msg instanceof HttpContent) {
                    countIn((HttpContent) msg);
                }
                ReferenceCountUtil.release(msg); // answered here: nothing goes further
                return;
            }
        }
        if (msg instanceof HttpContent) {
            if (exchange == null) {
                ReferenceCountUtil.release(msg); // content of no request: cannot happen with our decoder
                return;
            }
            countIn((HttpContent) msg);
            if (exchange.answeredByGateway && !(msg instanceof HttpRequest)) {
                // The gateway already answered: drop the rest of the body, but not without bound.
                discarded += ((HttpContent) msg).content().readableBytes();
                if (((HttpContent) msg).decoderResult().isFailure()) {
                    exchange.closeAfterResponse = true; // the decoder gave up: no next request to read
                }
                ReferenceCountUtil.release(msg);
                if (exchange.requestComplete) {
                    maybeFinish(ctx);
                } else if (discarded > maxDiscardBytes) {
                    // Enough dropped: the connection ends once the answer is out (with a lingering close,
                    // so that the client still reads it).
                    exchange.closeAfterResponse = true;
                    maybeFinish(ctx);
                } else {
                    ctx.read();
                }
                return;
            }
        }
        ctx.fireChannelRead(msg); // ownership passes on
    }

    private void countIn(HttpContent content) {
        exchange.bytesIn += content.content().readableBytes();
        if (content instanceof LastHttpContent) {
            exchange.requestComplete = true;
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        final ProxyExchange current = exchange;
        if (current == null || GatewayResponses.isInformational(msg)) {
            ctx.write(msg, promise); // no exchange, or an interim 100 Continue: not the answer
            return;
        }
        if (msg instanceof HttpResponse) {
            final HttpResponse response = (HttpResponse) msg;
            current.status = response.status().code();
            current.responseStarted = true;
            if (draining.getAsBoolean()) {
                current.closeAfterResponse = true;
            }
            if (response.headers().contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
                current.closeAfterResponse = true;
            }
            if (current.closeAfterResponse) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (current.request.protocolVersion() == HttpVersion.HTTP_1_0) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
        }
        if (msg instanceof HttpContent) {
            current.bytesOut += ((HttpContent) msg).content().readableBytes();
        }
        if (msg instanceof LastHttpContent) {
            current.responseComplete = true;
            ctx.write(msg, promise.unvoid()).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    ctx.close();
                }
                maybeFinish(ctx);
            });
            return;
        }
        ctx.write(msg, promise);
    }

    /** Ends the exchange once its response is written; then the next request, or the connection's end. */
    private void maybeFinish(ChannelHandlerContext ctx) {
        final ProxyExchange current = exchange;
        if (current == null || !current.responseComplete) {
            return;
        }
        if (!current.requestComplete && !current.closeAfterResponse) {
            if (current.answeredByGateway) {
                ctx.read(); // keep discarding the refused body; channelRead finishes
                return;
            }
            // The backend answered before the body ended: the request cannot be framed any more.
            current.closeAfterResponse = true;
        }
        finish(ctx, current);
        if (!ctx.channel().isActive()) {
            ctx.close();
        } else if (current.closeAfterResponse) {
            if (current.answeredByGateway || !current.requestComplete) {
                linger(ctx);
            } else {
                ctx.close();
            }
        } else {
            decoder.resume(ctx.pipeline().context(decoder));
        }
    }

    /**
     * Closes after an answer the client may not have waited for: it may still be sending what was refused
     * (a body over the limit, the rest of a malformed request). Closing a socket with unread input makes the
     * kernel send a reset, which can destroy the answer before the client reads it. So the answer is
     * followed by a FIN, whatever still arrives is discarded, and the connection closes when the client
     * closes, after {@link #LINGER_MILLIS} without input, or after {@link #MAX_LINGER_MILLIS} in all (nginx's
     * lingering close).
     */
    private void linger(ChannelHandlerContext ctx) {
        if (lingering || !(ctx.channel() instanceof DuplexChannel)) {
            ctx.close();
            return;
        }
        lingering = true;
        // The FIN goes after the answer: shutdownOutput() bypasses the pipeline, and the answer may still
        // wait in it for a flush, so an empty write is flushed first and the FIN follows its completion.
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess() && ctx.channel().isActive()) {
                ((DuplexChannel) ctx.channel()).shutdownOutput();
            }
        });
        // Pipelined bytes the paused decoder holds, and any that follow, are dropped, not buffered.
        decoder.discardInput();
        lingerDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_LINGER_MILLIS);
        armLingerTimer(ctx);
        ctx.read();
    }

    private void armLingerTimer(ChannelHandlerContext ctx) {
        if (lingerTimer != null) {
            lingerTimer.cancel(false);
        }
        final long left = lingerDeadlineNanos - System.nanoTime();
        final long delay = Math.min(TimeUnit.MILLISECONDS.toNanos(LINGER_MILLIS), Math.max(0, left));
        lingerTimer = ctx.executor().schedule(() -> ctx.close(), delay, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (lingering) {
            ctx.read(); // keep draining: the decoder may have discarded everything without a message
        }
        super.channelReadComplete(ctx);
    }

    private void finish(ChannelHandlerContext ctx, ProxyExchange current) {
        exchange = null;
        ctx.channel().attr(ProxyExchange.KEY).set(null);
        recorder.record(current, ctx.channel());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        final ProxyExchange current = exchange;
        if (current != null) {
            // The connection ended mid-exchange: log it, count it only if an answer went out.
            current.closeAfterResponse = true;
            finish(ctx, current);
        }
        super.channelInactive(ctx);
    }
}
