package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.caller.ConnectionFacts;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.policy.CallFacts;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.webpubsub.WebPubSubEventCheck;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.util.Objects;

/**
 * Takes the access decision of SPEC §5 for each request, against the snapshot in force when the request
 * arrives, and answers refusals itself: status, JSON body, {@code X-Gateway-Deny-Reason}; the connection
 * stays open. An allowed request goes on with its decision recorded in the {@link ProxyExchange}.
 *
 * <p>Deciding per request, not per connection, is what makes a revoked endpoint stop traffic on open
 * keep-alive connections at their next request. Each connection keeps its last decision with everything it
 * was taken on: the snapshot (so its generation) and the facts {@link PolicySnapshot#decide} reads. A
 * request on the same snapshot with equal facts reuses it; any other is decided afresh, so a reload or a
 * request for another Host or hub is judged exactly as without the cache. Increments
 * {@code gateway_denied_total{reason}}.
 */
final class AccessDecisionHandler extends ChannelInboundHandlerAdapter {
    private final PolicyRef policy;
    private final GatewayMetrics metrics;
    // The last decision on this connection and its inputs; touched only on the connection's event loop.
    private PolicySnapshot lastSnapshot;
    private IpAddress lastCaller;
    private LinkId lastLinkId;
    private String lastHost;
    private String lastHub;
    private String lastCategory;
    private String lastEvent;
    private String lastWebPubSubHub;
    private String lastWebPubSubCategory;
    private String lastWebPubSubEvent;
    private boolean lastHandshake;
    private Decision last;

    AccessDecisionHandler(PolicyRef policy, GatewayMetrics metrics) {
        this.policy = requireNonNull(policy, "policy");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        final HttpRequest request = (HttpRequest) msg;
        final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
        final ConnectionFacts connection = ConnectionFacts.of(ctx.channel());
        final PolicySnapshot snapshot = policy.get();
        exchange.snapshot = snapshot;
        if (exchange.caller == null) {
            exchange.caller = connection.caller();
        }
        if (!snapshot.endpointsLoaded()) {
            // No endpoint set yet (SPEC §10): nothing can be decided, and no caller is refused for a reason
            // that may not hold once the store answers.
            exchange.failed(ProxyError.STORE_UNAVAILABLE);
            ctx.writeAndFlush(GatewayResponses.error(ctx.alloc(), ProxyError.STORE_UNAVAILABLE, false));
            ReferenceCountUtil.release(msg); // refused: never forwarded
            return;
        }
        final HttpHeaders headers = request.headers();
        // Web PubSub's routing headers are read only where an upstream can take such calls.
        final boolean webPubSub = snapshot.routesWebPubSub();
        final Decision decision = decide(snapshot, exchange.caller, connection.linkId(),
                headers.get(HttpHeaderNames.HOST), headers.get(SignalRHeaderNames.HUB),
                headers.get(SignalRHeaderNames.CATEGORY), headers.get(SignalRHeaderNames.EVENT),
                webPubSub ? headers.get(WebPubSubHeaderNames.HUB) : null,
                webPubSub ? WebPubSubEventCheck.category(headers.get(WebPubSubHeaderNames.TYPE)) : null,
                webPubSub ? headers.get(WebPubSubHeaderNames.EVENT_NAME) : null,
                webPubSub && isHandshake(request));
        exchange.decision(decision);
        if (decision instanceof Decision.Deny) {
            final DenyReason reason = ((Decision.Deny) decision).reason();
            deny(ctx, exchange, reason, metrics);
            ReferenceCountUtil.release(msg); // refused: never forwarded
            return;
        }
        ctx.fireChannelRead(msg); // allowed: ownership passes on
    }

    /** The connection's last decision when it was taken on the same snapshot and facts; else a new one. */
    private Decision decide(PolicySnapshot snapshot, IpAddress caller, LinkId linkId, String host, String hub,
            String category, String event, String webPubSubHub, String webPubSubCategory, String webPubSubEvent,
            boolean handshake) {
        if (snapshot == lastSnapshot && caller.equals(lastCaller) && Objects.equals(linkId, lastLinkId)
                && Objects.equals(host, lastHost) && Objects.equals(hub, lastHub)
                && Objects.equals(category, lastCategory) && Objects.equals(event, lastEvent)
                && Objects.equals(webPubSubHub, lastWebPubSubHub)
                && webPubSubCategory == lastWebPubSubCategory // one of two constants, or null
                && Objects.equals(webPubSubEvent, lastWebPubSubEvent) && handshake == lastHandshake) {
            return last;
        }
        final Decision decision = snapshot.decide(new CallFacts(caller, linkId, host, hub, category, event,
                webPubSubHub, webPubSubCategory, webPubSubEvent, handshake));
        lastSnapshot = snapshot;
        lastCaller = caller;
        lastLinkId = linkId;
        lastHost = host;
        lastHub = hub;
        lastCategory = category;
        lastEvent = event;
        lastWebPubSubHub = webPubSubHub;
        lastWebPubSubCategory = webPubSubCategory;
        lastWebPubSubEvent = webPubSubEvent;
        lastHandshake = handshake;
        last = decision;
        return decision;
    }

    /** Web PubSub's abuse-protection handshake: {@code OPTIONS} naming the service's origin (SPEC §13). */
    static boolean isHandshake(HttpRequest request) {
        return request.method() == HttpMethod.OPTIONS
                && request.headers().contains(WebPubSubHeaderNames.REQUEST_ORIGIN);
    }

    /** Answers a refusal of SPEC §5, §6a or §13 and counts it. */
    static void deny(ChannelHandlerContext ctx, ProxyExchange exchange, DenyReason reason, GatewayMetrics metrics) {
        metrics.denied(reason);
        exchange.denied(reason);
        ctx.writeAndFlush(GatewayResponses.deny(ctx.alloc(), reason));
    }
}
