package dev.privateupstream.proxy;

import dev.privateupstream.config.UpstreamProtocol;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.signalr.SignalRRequestCheck;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/**
 * The SignalR checks of SPEC §6a, after the access decision so that a caller who is not an approved
 * endpoint learns nothing beyond {@code 403}: the {@code X-ASRS-Signature} under the configured access
 * keys ({@code 401 missing-signature} / {@code invalid-signature}), then the shape of the call
 * ({@code 405}, {@code 400}, {@code 415} {@code not-signalr-upstream}). Bodies are never parsed here;
 * they stream to the backend untouched. Calls routed to a Web PubSub upstream pass: {@link WebPubSubCheckHandler}
 * checks them. Increments {@code gateway_denied_total{reason}}.
 */
@Sharable
final class SignalRCheckHandler extends CallCheckHandler {
    SignalRCheckHandler(GatewayMetrics metrics) {
        super(metrics);
    }

    @Override
    DenyReason refusal(HttpRequest request, ProxyExchange exchange) {
        return exchange.protocol() == UpstreamProtocol.SIGNALR ? check(request, exchange.snapshot) : null;
    }

    static DenyReason check(HttpRequest request, PolicySnapshot snapshot) {
        final HttpHeaders headers = request.headers();
        if (snapshot.requireSignature()) {
            // Netty hands header bytes over one char per byte: the UTF-8 the service signed, as sent.
            final DenyReason refused = DenyReason.ofSignature(snapshot.signatureVerifier().checkWireValue(
                    headers.get(SignalRHeaderNames.CONNECTION_ID), headers.get(SignalRHeaderNames.SIGNATURE)));
            if (refused != null) {
                return refused;
            }
        }
        if (snapshot.validateRequests()) {
            return DenyReason.notSignalRUpstream(SignalRRequestCheck.check(request.method().name(),
                    headers.get(SignalRHeaderNames.CONNECTION_ID), headers.get(SignalRHeaderNames.HUB),
                    headers.get(SignalRHeaderNames.CATEGORY), headers.get(SignalRHeaderNames.EVENT),
                    headers.get(HttpHeaderNames.CONTENT_TYPE)).httpStatus());
        }
        return null;
    }
}
