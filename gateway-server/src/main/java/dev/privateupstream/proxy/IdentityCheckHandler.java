package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.IdentityConfig;
import dev.privateupstream.config.UpstreamProtocol;
import dev.privateupstream.identity.CallerIdentities;
import dev.privateupstream.identity.IdentityVerifier;
import dev.privateupstream.identity.KeySet;
import dev.privateupstream.identity.TokenCheck;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.DenyReason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token check of SPEC §13, after the access decision and before the signature: when the call's
 * upstream protocol has an {@code identity} block, its {@code Authorization: Bearer} token must be an Entra
 * ID access token of an allowed caller ({@code 401 missing-token} / {@code invalid-token},
 * {@code 403 caller-not-allowed}, {@code 503 identity-unavailable} until a key set was loaded once). The
 * token is forwarded unchanged.
 *
 * <p>Nothing here blocks. A token whose {@code kid} the key set lacks asks the key source for a refresh (at
 * most one a minute) and the call waits for it, up to {@code limits.upstreamConnectTimeout}: its request and
 * whatever part of its body already arrived are held, and the check resumes on this connection's event
 * loop. Refusals say only the reason; why a token failed goes to the debug log, never the token.
 */
final class IdentityCheckHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(IdentityCheckHandler.class);

    private final CallerIdentities identities;
    private final GatewayMetrics metrics;
    private final long maxWaitNanos;
    // Touched only on the connection's event loop.
    private IdentityConfig lastConfig;
    private IdentityVerifier lastVerifier;
    /**
     * The last token this connection passed, with the key set it verified against and until when: the
     * service sends the same token on every call, and comparing its bytes with the last one's costs less
     * than copying it into a String and hashing that for the verifier's cache (JMH: 23 % of a call's cost
     * without this, about 2 % with it).
     */
    private AsciiString lastToken;
    private KeySet lastKeys;
    private long lastTokenUntilMillis;
    /** The messages of the call waiting for a key refresh, its request first; {@code null} when none waits. */
    private ArrayDeque<Object> held;
    private ScheduledFuture<?> waitTimer;

    IdentityCheckHandler(CallerIdentities identities, GatewayMetrics metrics, long maxWaitNanos) {
        this.identities = requireNonNull(identities, "identities");
        this.metrics = requireNonNull(metrics, "metrics");
        this.maxWaitNanos = maxWaitNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (held != null) {
            held.add(msg); // the rest of a call that waits for its keys
            return;
        }
        if (!(msg instanceof HttpRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
        final IdentityConfig config = exchange.snapshot.identity(exchange.protocol());
        if (config == null || AccessDecisionHandler.isHandshake((HttpRequest) msg)
                && exchange.protocol() == UpstreamProtocol.WEBPUBSUB) {
            // No token required for this protocol: nothing to pay. Web PubSub's handshake may come without
            // one (a Function that demanded it failed validation: Azure/azure-webpubsub#163).
            ctx.fireChannelRead(msg);
            return;
        }
        final IdentityVerifier verifier = verifier(config);
        final HttpRequest request = (HttpRequest) msg;
        final CharSequence value = authorization(request.headers());
        if (value == null) {
            refuse(ctx, exchange, msg, DenyReason.MISSING_TOKEN, "no Authorization header");
            return;
        }
        if (value == TWO_HEADERS) {
            refuse(ctx, exchange, msg, DenyReason.INVALID_TOKEN, "more than one Authorization header");
            return;
        }
        final KeySet keys = verifier.keys().current();
        if (keys == null) {
            refuse(ctx, exchange, msg, DenyReason.IDENTITY_UNAVAILABLE, "no signing keys loaded yet from "
                    + config.jwksUrl());
            return;
        }
        if (keys == lastKeys && lastToken != null && lastToken.contentEquals(value)
                && System.currentTimeMillis() < lastTokenUntilMillis) {
            ctx.fireChannelRead(msg); // the token this connection's last call passed with: ownership passes on
            return;
        }
        final String authorization = value.toString();
        final TokenCheck check = verifier.tokens().check(authorization, keys);
        if (check.verdict() == TokenCheck.Verdict.UNKNOWN_KEY) {
            awaitKeys(ctx, msg, verifier, authorization);
            return;
        }
        if (check.verdict() == TokenCheck.Verdict.VALID) {
            lastToken = new AsciiString(value);
            lastKeys = keys;
            lastTokenUntilMillis = check.expiresAtMillis() + verifier.config().clockSkew().toMillis();
        }
        decided(ctx, exchange, msg, check);
    }

    /** Lets the call on, or refuses it, by a verdict other than {@code UNKNOWN_KEY}. */
    private void decided(ChannelHandlerContext ctx, ProxyExchange exchange, Object msg, TokenCheck check) {
        switch (check.verdict()) {
            case VALID:
                ctx.fireChannelRead(msg); // ownership passes on
                return;
            case MISSING:
                refuse(ctx, exchange, msg, DenyReason.MISSING_TOKEN, check.detail());
                return;
            case NOT_ALLOWED:
                refuse(ctx, exchange, msg, DenyReason.CALLER_NOT_ALLOWED, check.detail());
                return;
            default:
                refuse(ctx, exchange, msg, DenyReason.INVALID_TOKEN, check.detail());
        }
    }

    /**
     * The token names a key the set lacks: holds the call until the key source has refreshed (or declined
     * to, having fetched within the last minute), then checks again on this event loop.
     */
    private void awaitKeys(ChannelHandlerContext ctx, Object msg, IdentityVerifier verifier, String authorization) {
        final ArrayDeque<Object> waiting = new ArrayDeque<>(4);
        waiting.add(msg);
        held = waiting;
        // Both ways out name this call's queue: a resume that comes late must not judge a later call.
        waitTimer = ctx.executor().schedule(() -> resume(ctx, waiting, verifier, authorization, null),
                maxWaitNanos, TimeUnit.NANOSECONDS);
        verifier.keys().refreshForUnknownKey().whenComplete((keys, failure) ->
                ctx.executor().execute(() -> resume(ctx, waiting, verifier, authorization, keys)));
    }

    /**
     * Checks the call held in {@code messages} again with {@code keys}, or refuses it when the wait ended
     * first ({@code keys} {@code null}).
     */
    private void resume(ChannelHandlerContext ctx, ArrayDeque<Object> messages, IdentityVerifier verifier,
            String authorization, KeySet keys) {
        if (held != messages) {
            return; // that call was already resumed, or the connection closed
        }
        held = null;
        waitTimer.cancel(false);
        final Object request = messages.poll();
        final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
        if (exchange == null || !ctx.channel().isActive()) {
            ReferenceCountUtil.release(request);
            releaseAll(messages);
            return;
        }
        if (keys == null) {
            refuse(ctx, exchange, request, DenyReason.IDENTITY_UNAVAILABLE,
                    "the signing keys were not refreshed in time for a token's unknown kid");
            releaseAll(messages); // the body of a refused call goes nowhere
            return;
        }
        final TokenCheck check = verifier.tokens().check(authorization, keys);
        if (check.verdict() == TokenCheck.Verdict.UNKNOWN_KEY) {
            // Still unknown after a refresh, or a refresh within the last minute: not a key of the issuer.
            refuse(ctx, exchange, request, DenyReason.INVALID_TOKEN, check.detail());
        } else {
            decided(ctx, exchange, request, check);
        }
        if (exchange.answeredByGateway) {
            releaseAll(messages);
        } else {
            for (Object message : messages) {
                ctx.fireChannelRead(message); // the body that arrived while the call waited, in order
            }
            ctx.fireChannelReadComplete();
        }
    }

    private void refuse(ChannelHandlerContext ctx, ProxyExchange exchange, Object msg, DenyReason reason,
            String detail) {
        if (logger.isDebugEnabled()) {
            logger.debug("{} {}: {} ({})", exchange.request().method(), exchange.request().uri(), reason.wireText(),
                    detail);
        }
        AccessDecisionHandler.deny(ctx, exchange, reason, metrics);
        ReferenceCountUtil.release(msg); // refused: never forwarded
    }

    /** The connection's verifier for {@code config}: looked up again only when the configuration changed. */
    private IdentityVerifier verifier(IdentityConfig config) {
        if (config != lastConfig) {
            lastVerifier = identities.verifier(config);
            lastConfig = config;
            lastToken = null; // passed under other settings
        }
        return lastVerifier;
    }

    /** Marks a request with more than one {@code Authorization} header: a token smuggled beside another. */
    private static final String TWO_HEADERS = new String("two Authorization headers");

    /** The one {@code Authorization} value, {@code null} when absent, {@link #TWO_HEADERS} when repeated. */
    private static CharSequence authorization(HttpHeaders headers) {
        // As CharSequences: the decoder's views of the head's bytes, not String copies of a 1.5 KB token.
        final Iterator<? extends CharSequence> values =
                headers.valueCharSequenceIterator(HttpHeaderNames.AUTHORIZATION);
        if (!values.hasNext()) {
            return null;
        }
        final CharSequence value = values.next();
        return values.hasNext() ? TWO_HEADERS : value;
    }

    private static void releaseAll(ArrayDeque<Object> messages) {
        for (Object message; (message = messages.poll()) != null; ) {
            ReferenceCountUtil.release(message);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        dropHeld();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        dropHeld();
    }

    private void dropHeld() {
        final ArrayDeque<Object> messages = held;
        if (messages != null) {
            held = null;
            waitTimer.cancel(false);
            releaseAll(messages);
        }
    }
}
