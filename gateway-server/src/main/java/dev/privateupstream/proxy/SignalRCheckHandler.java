package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.signalr.SignalRRequestCheck;
import dev.privateupstream.signalr.SignalRRequestProblem;
import dev.privateupstream.signalr.SignatureCheck;
import dev.privateupstream.signalr.SignatureVerifier;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * The SignalR checks of SPEC §6a, after the access decision so that a caller who is not an approved
 * endpoint learns nothing beyond {@code 403}: the {@code X-ASRS-Signature} under the configured access
 * keys ({@code 401 missing-signature} / {@code invalid-signature}), then the shape of the call
 * ({@code 405}, {@code 400}, {@code 415} {@code not-signalr-upstream}). Bodies are never parsed here;
 * they stream to the backend untouched. Increments {@code gateway_denied_total{reason}}.
 */
@Sharable
final class SignalRCheckHandler extends ChannelInboundHandlerAdapter {
    private final GatewayMetrics metrics;

    SignalRCheckHandler(GatewayMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
            final DenyReason reason = check((HttpRequest) msg, exchange.snapshot);
            if (reason != null) {
                AccessDecisionHandler.deny(ctx, exchange, reason, metrics);
                ReferenceCountUtil.release(msg); // refused: never forwarded
                return;
            }
        }
        ctx.fireChannelRead(msg); // ownership passes on
    }

    static DenyReason check(HttpRequest request, PolicySnapshot snapshot) {
        final HttpHeaders headers = request.headers();
        if (snapshot.requireSignature()) {
            final SignatureVerifier verifier = snapshot.signatureVerifier();
            // Netty hands header bytes over one char per byte: the UTF-8 the service signed, as sent.
            final SignatureCheck check = verifier.checkWireValue(headers.get(SignalRHeaderNames.CONNECTION_ID),
                    headers.get(SignalRHeaderNames.SIGNATURE));
            if (check == SignatureCheck.MISSING) {
                return DenyReason.MISSING_SIGNATURE;
            }
            if (check == SignatureCheck.INVALID) {
                return DenyReason.INVALID_SIGNATURE;
            }
        }
        if (snapshot.validateRequests()) {
            final SignalRRequestProblem problem = SignalRRequestCheck.check(request.method().name(),
                    headers.get(SignalRHeaderNames.CONNECTION_ID), headers.get(SignalRHeaderNames.HUB),
                    headers.get(SignalRHeaderNames.CATEGORY), headers.get(SignalRHeaderNames.EVENT),
                    headers.get(HttpHeaderNames.CONTENT_TYPE));
            switch (problem.httpStatus()) {
                case 200:
                    return null;
                case 405:
                    return DenyReason.NOT_SIGNALR_UPSTREAM_METHOD;
                case 415:
                    return DenyReason.NOT_SIGNALR_UPSTREAM_MEDIA_TYPE;
                default:
                    return DenyReason.NOT_SIGNALR_UPSTREAM;
            }
        }
        return null;
    }
}
