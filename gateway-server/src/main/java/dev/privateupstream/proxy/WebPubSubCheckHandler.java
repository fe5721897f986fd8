package dev.privateupstream.proxy;

import dev.privateupstream.config.UpstreamProtocol;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.webpubsub.WebPubSubEventCheck;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/**
 * The Web PubSub checks of SPEC §13 on calls routed to a {@code protocol: webpubsub} upstream, after the
 * access decision and the token: the {@code ce-signature} on {@code ce-connectionId} under
 * {@code webpubsub.accessKeys} by SignalR's rule ({@code 401 missing-signature} / {@code invalid-signature}),
 * then the shape of the call ({@code 405}, {@code 400}, {@code 415} {@code not-webpubsub-event}). Bodies
 * stream to the backend untouched. The abuse-protection handshake, when the backend answers it, passes.
 * Increments {@code gateway_denied_total{reason}}.
 */
@Sharable
final class WebPubSubCheckHandler extends CallCheckHandler {
    WebPubSubCheckHandler(GatewayMetrics metrics) {
        super(metrics);
    }

    @Override
    DenyReason refusal(HttpRequest request, ProxyExchange exchange) {
        // The abuse-protection handshake is no event: it names no connection to sign, and the backend
        // answers it when the gateway does not (no allowedOrigins).
        return exchange.protocol() == UpstreamProtocol.WEBPUBSUB && !AccessDecisionHandler.isHandshake(request)
                ? check(request, exchange.snapshot) : null;
    }

    static DenyReason check(HttpRequest request, PolicySnapshot snapshot) {
        final HttpHeaders headers = request.headers();
        if (snapshot.webPubSubRequireSignature()) {
            // Netty hands header bytes over one char per byte: the UTF-8 the service signed, as sent.
            final DenyReason refused = DenyReason.ofSignature(snapshot.webPubSubVerifier().checkWireValue(
                    headers.get(WebPubSubHeaderNames.CONNECTION_ID), headers.get(WebPubSubHeaderNames.SIGNATURE)));
            if (refused != null) {
                return refused;
            }
        }
        if (snapshot.webPubSubValidateRequests()) {
            return DenyReason.notWebPubSubEvent(WebPubSubEventCheck.check(request.method().name(),
                    headers.get(WebPubSubHeaderNames.SPEC_VERSION), headers.get(WebPubSubHeaderNames.TYPE),
                    headers.get(WebPubSubHeaderNames.ID), headers.get(WebPubSubHeaderNames.HUB),
                    headers.get(WebPubSubHeaderNames.CONNECTION_ID), headers.get(WebPubSubHeaderNames.EVENT_NAME),
                    headers.get(HttpHeaderNames.CONTENT_TYPE)).httpStatus());
        }
        return null;
    }
}
