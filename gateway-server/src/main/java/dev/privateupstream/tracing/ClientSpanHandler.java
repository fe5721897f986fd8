package dev.privateupstream.tracing;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.proxy.ProxyExchange;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import java.net.URI;

/**
 * Opens one {@code CLIENT} span per backend call, a child of the call's server span, and replaces the
 * request's {@code traceparent} with one that names it (the caller's {@code tracestate} goes on, carried by
 * the span); ends it when the backend's answer, or the relay's {@code 502}/{@code 504}, has been written to
 * the client, or when the connection ends first.
 *
 * <p>Sits right before the relay, so only calls that passed every check reach it.
 */
final class ClientSpanHandler extends AbstractSpanHandler {
    private ServerSpanHandler server;

    ClientSpanHandler(Tracer tracer) {
        super(tracer);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        server = requireNonNull(ctx.pipeline().get(ServerSpanHandler.class), "the server span handler");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request && server.context() != null) {
            end(ctx.channel(), true); // one exchange at a time: a span still open was cut off
            final Context parent = server.context();
            final String method = request.method().name();
            final SpanBuilder builder = tracer.spanBuilder(method)
                    .setParent(parent)
                    .setSpanKind(SpanKind.CLIENT)
                    .setAttribute(SpanAttributes.HTTP_REQUEST_METHOD, method);
            final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
            final Decision decision = exchange == null ? null : exchange.decision();
            if (decision != null && decision.route() != null) {
                final UpstreamConfig upstream = decision.route().upstream();
                final URI url = upstream.url();
                builder.setAttribute(SpanAttributes.UPSTREAM, upstream.name())
                        .setAttribute(SpanAttributes.SERVER_ADDRESS, url.getHost())
                        .setAttribute(SpanAttributes.SERVER_PORT, (long) port(url));
            }
            span = builder.startSpan();
            status = 0;
            W3CTraceContextPropagator.getInstance()
                    .inject(parent.with(span), request.headers(), HeadersAccess.INSTANCE);
        }
        ctx.fireChannelRead(msg); // modified in place; ownership passes on
    }

    @Override
    int firstErrorStatus() {
        return 400;
    }

    private static int port(URI url) {
        if (url.getPort() >= 0) {
            return url.getPort();
        }
        return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    }
}
