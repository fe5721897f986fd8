package dev.privateupstream.tracing;

import dev.privateupstream.caller.ConnectionFacts;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.proxy.ProxyExchange;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;

/**
 * Opens one {@code SERVER} span per call on a client connection, continuing the caller's W3C
 * {@code traceparent}, and ends it with what the exchange decided: {@code gateway.decision},
 * {@code gateway.reason}, {@code gateway.upstream}, {@code gateway.endpoint}, the status and the caller's
 * address. Named {@code METHOD UPSTREAM} once routed, else {@code METHOD}: never the path, whose query may
 * hold a function key.
 *
 * <p>Sits right behind {@code ExchangeHandler}, so every answer to a request it saw passes it, the
 * gateway's own refusals included. Never made current: the context lives in this handler, not in a thread
 * local of the event loop.
 */
final class ServerSpanHandler extends AbstractSpanHandler {
    private ProxyExchange exchange;
    /** The caller's context with the span: the parent of the backend call's span. */
    private Context context;

    ServerSpanHandler(Tracer tracer) {
        super(tracer);
    }

    /** The context of the call in progress, or {@code null}. */
    Context context() {
        return context;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            end(ctx.channel(), true); // one exchange at a time: a span still open was cut off
            final Context parent = W3CTraceContextPropagator.getInstance()
                    .extract(Context.root(), request.headers(), HeadersAccess.INSTANCE);
            final String method = request.method().name();
            span = tracer.spanBuilder(method)
                    .setParent(parent)
                    .setSpanKind(SpanKind.SERVER)
                    .setAttribute(SpanAttributes.HTTP_REQUEST_METHOD, method)
                    .startSpan();
            context = parent.with(span);
            exchange = ProxyExchange.current(ctx.channel());
            status = 0;
        }
        ctx.fireChannelRead(msg); // ownership passes on
    }

    @Override
    void record(Span current, Channel channel) {
        final IpAddress caller = exchange != null && exchange.caller() != null ? exchange.caller()
                : callerOf(channel);
        if (caller != null) {
            current.setAttribute(SpanAttributes.CLIENT_ADDRESS, caller.canonical());
        }
        if (exchange == null) {
            return;
        }
        final Decision decision = exchange.decision();
        if (decision != null) {
            current.setAttribute(SpanAttributes.DECISION,
                    decision.allowed() ? SpanAttributes.ALLOW : SpanAttributes.DENY);
            if (decision.endpoint() != null) {
                current.setAttribute(SpanAttributes.ENDPOINT, decision.endpoint().name());
            }
            if (decision.route() != null) {
                current.updateName(exchange.request().method().name() + " " + exchange.upstream());
            }
        }
        // The deny reason's wire text; for the gateway's other answers its error's, for a cut-off call why.
        if (exchange.reason() != null) {
            current.setAttribute(SpanAttributes.REASON, exchange.reason());
        }
        current.setAttribute(SpanAttributes.UPSTREAM, exchange.upstream());
    }

    @Override
    int firstErrorStatus() {
        return 500;
    }

    @Override
    void ended() {
        context = null;
        exchange = null;
    }

    private static IpAddress callerOf(Channel channel) {
        final ConnectionFacts facts = ConnectionFacts.of(channel);
        return facts == null ? null : facts.caller();
    }
}
