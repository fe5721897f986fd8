package dev.privateupstream.tracing;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.proxy.GatewayResponses;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;

/**
 * A span per exchange on one client connection, ended when the answer's last part is written towards the
 * client, or cut off when the connection ends first (then its status is {@code ERROR}). Subclasses open it
 * as requests pass and say what it records.
 */
abstract class AbstractSpanHandler extends ChannelDuplexHandler {
    final Tracer tracer;
    /** The span of the exchange in progress, or {@code null}. */
    Span span;
    /** The status of the answer written so far, {@code 0} before its head. */
    int status;

    AbstractSpanHandler(Tracer tracer) {
        this.tracer = requireNonNull(tracer, "tracer");
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (span != null && !GatewayResponses.isInformational(msg)) {
            if (msg instanceof HttpResponse response) {
                status = response.status().code();
            }
            if (msg instanceof LastHttpContent) {
                end(ctx.channel(), false);
            }
        }
        ctx.write(msg, promise); // ownership passes on
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        end(ctx.channel(), true);
        super.channelInactive(ctx);
    }

    /** Ends the span in progress, if any: {@code cutOff} when its exchange ended without a whole answer. */
    final void end(Channel channel, boolean cutOff) {
        final Span current = span;
        if (current == null) {
            return;
        }
        span = null;
        if (current.isRecording()) {
            if (status != 0) {
                current.setAttribute(SpanAttributes.HTTP_RESPONSE_STATUS_CODE, status);
            }
            record(current, channel);
            if (cutOff || status == 0 || status >= firstErrorStatus()) {
                current.setStatus(StatusCode.ERROR);
            }
        }
        current.end();
        ended();
    }

    /** Sets what the subclass records on an ending span that is sampled, besides the status. */
    void record(Span current, Channel channel) {
    }

    /** The lowest status that marks the span failed: 500 for a server span, 400 for a client span. */
    abstract int firstErrorStatus();

    /** Lets go of what the ended span's exchange held. */
    void ended() {
    }
}
