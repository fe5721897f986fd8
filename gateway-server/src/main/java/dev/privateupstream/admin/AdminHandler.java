package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one admin connection's requests (SPEC §7): {@code /healthz}, {@code /readyz}, {@code /metrics},
 * {@code /api/*}, the page's files and the API's OpenAPI document (SPEC §12).
 *
 * <p>API changes complete on the configuration thread, later than the request arrived; answers still go
 * out in request order (each waits for the one before), and the connection reads no further while one is
 * pending, so a pipelining client cannot pile up work. {@code GET /api/events} answers a head and then the
 * event stream ({@link EndpointEvents}) for as long as the connection lasts: once it starts, the connection
 * serves nothing else, and its idle timeout no longer applies (the keep-alive comments are its traffic; a
 * client that stops reading is cut off by {@link EventSubscriber}).
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger logger = LoggerFactory.getLogger(AdminHandler.class);

    private final EndpointApi api;
    private final AdminPage page;
    private final MetricsEndpoint metrics;
    private final BooleanSupplier ready;
    private final EndpointEvents events;
    /** Completes when the previous answer has been handed to the channel; touched only on the event loop. */
    private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);
    private int pending;
    /** Set once the connection carries an event stream; touched only on the event loop. */
    private boolean streaming;

    AdminHandler(EndpointApi api, AdminPage page, MetricsEndpoint metrics, BooleanSupplier ready,
            EndpointEvents events) {
        this.api = requireNonNull(api, "api");
        this.page = requireNonNull(page, "page");
        this.metrics = requireNonNull(metrics, "metrics");
        this.ready = requireNonNull(ready, "ready");
        this.events = requireNonNull(events, "events");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        // The request is released when this returns (SimpleChannelInboundHandler): take what is needed now.
        if (streaming) {
            return; // SPEC §12: an event stream is the last answer of its connection
        }
        final boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
        final HttpVersion version = request.protocolVersion();
        final CompletableFuture<AdminResponse> response = route(request);
        pending++;
        if (!response.isDone()) {
            ctx.channel().config().setAutoRead(false);
        }
        previous = previous.thenCombine(response, (ignored, r) -> r)
                .exceptionally(e -> {
                    logger.error("admin request failed, answered 500: a bug in the gateway; please report it with this "
                            + "stack trace", e);
                    return AdminResponse.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
                })
                .thenAccept(r -> ctx.executor().execute(() -> write(ctx, r, version, keepAlive)));
    }

    private CompletableFuture<AdminResponse> route(FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            return done(AdminResponse.error(HttpResponseStatus.BAD_REQUEST, "malformed request"));
        }
        final String path = new QueryStringDecoder(request.uri()).rawPath();
        final HttpMethod method = request.method();
        // The API's own description is public, as the page that calls the API is: it holds no endpoint data.
        if (path.startsWith(EndpointApi.PREFIX) && !path.equals(AdminPage.OPENAPI_PATH)) {
            return api.handle(method, request.uri(), request.headers().get(HttpHeaderNames.AUTHORIZATION),
                    ByteBufUtil.getBytes(request.content()));
        }
        if (!method.equals(HttpMethod.GET)) {
            return done(AdminResponse.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed here "
                    + "(expected: GET)").withHeader("Allow", "GET"));
        }
        switch (path) {
            case "/healthz":
                return done(AdminResponse.text(HttpResponseStatus.OK, "ok\n"));
            case "/readyz":
                return done(ready.getAsBoolean() ? AdminResponse.text(HttpResponseStatus.OK, "ready\n")
                        : AdminResponse.text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "not ready: draining, or no endpoint set loaded yet\n"));
            case "/metrics":
                return done(metrics.scrape());
            default:
                final AdminResponse file = page.get(path);
                return done(file != null ? file
                        : AdminResponse.error(HttpResponseStatus.NOT_FOUND, "nothing here: " + path));
        }
    }

    private void write(ChannelHandlerContext ctx, AdminResponse r, HttpVersion version, boolean keepAlive) {
        if (streaming) {
            --pending; // pipelined after an event stream: never answered
            return;
        }
        if (r.isEventStream() && r.status().code() == HttpResponseStatus.OK.code()) {
            startStream(ctx, r, version);
            return;
        }
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(),
                Unpooled.wrappedBuffer(r.body()));
        if (r.contentType() != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        }
        r.headers().forEach(response.headers()::set);
        if (r.status().code() != HttpResponseStatus.NO_CONTENT.code()) {
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        }
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (version.equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        // Ownership of the response passes to the channel.
        final var future = ctx.writeAndFlush(response);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
        if (--pending == 0) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** The head of the stream, then the channel is the events' ({@link EndpointEvents#subscribe}). */
    private void startStream(ChannelHandlerContext ctx, AdminResponse r, HttpVersion version) {
        streaming = true;
        --pending;
        final HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, r.status());
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        r.headers().forEach(head.headers()::set);
        if (version.equals(HttpVersion.HTTP_1_0)) {
            // No chunks in HTTP/1.0: the body ends when the connection does.
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else {
            HttpUtil.setTransferEncodingChunked(head, true);
        }
        ctx.writeAndFlush(head);
        // Reading on, discarding: a close by the client is seen at once.
        ctx.channel().config().setAutoRead(true);
        events.subscribe(ctx.channel());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && pending == 0 && !streaming) {
            ctx.close(); // an idle admin connection: nothing to lose
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.debug("admin connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }

    private static CompletableFuture<AdminResponse> done(AdminResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
