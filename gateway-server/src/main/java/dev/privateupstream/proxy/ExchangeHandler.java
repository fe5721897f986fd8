package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
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
    private final StrictHttpRequestDecoder decoder;
    private final ExchangeRecorder recorder;
    private final BooleanSupplier draining;
    private final long maxDiscardBytes;
    private ProxyExchange exchange;
    private long discarded;

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
                ReferenceCountUtil.release(msg);
                if (exchange.requestComplete) {
                    maybeFinish(ctx);
                } else if (discarded > maxDiscardBytes) {
                    ctx.close();
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
        if (current.closeAfterResponse || !ctx.channel().isActive()) {
            ctx.close();
        } else {
            decoder.resume(ctx.pipeline().context(decoder));
        }
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
