package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.IdentityConfig;
import dev.privateupstream.config.SignalRConfig;
import dev.privateupstream.config.WebPubSubConfig;
import dev.privateupstream.identity.CallerIdentities;
import dev.privateupstream.identity.KeySetSource;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.metrics.Outcome;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.testing.Await;
import dev.privateupstream.testing.EntraTokens;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The token check of SPEC §13 on an embedded channel, after the access decision: a valid token lets the very
 * request on, refusals carry their status and reason, and a token of an unknown {@code kid} holds the call (head
 * and body) until the key source has refreshed, then lets it on in order or refuses it with its body released.
 *
 * <p>The key source is real: a {@link CallerIdentities} fetching the JWKS that {@link EntraTokens} serves on
 * loopback. A refresh completes on the source's thread and hops back through {@code ctx.executor().execute};
 * the test waits until that task is queued before running it, since an {@link EmbeddedChannel}'s task queue is
 * not meant to be drained while another thread adds to it.
 */
class IdentityCheckHandlerTest {
    private static final String SIGNALR_KEY = "signalr-key";
    private static final String WPS_KEY = "wps-key";
    /** Longer than any test: only the timer test lets the wait run out. */
    private static final long LONG_WAIT = TimeUnit.SECONDS.toNanos(30);
    private static final Duration AWAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final EntraTokens entra = new EntraTokens();

    private final GatewayMetrics metrics = new GatewayMetrics();
    private CallerIdentities identities;
    private EmbeddedChannel channel;

    @BeforeEach
    void freshKeySources() {
        entra.failJwks(0);
        entra.delayJwks(Duration.ZERO);
        // A new source per test: the refresh for unknown kids is limited to one a minute per source.
        identities = new CallerIdentities(metrics::identityKeyRefresh);
    }

    @AfterEach
    void close() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        identities.close();
        entra.failJwks(0);
        entra.delayJwks(Duration.ZERO);
    }

    private static IdentityConfig identity() {
        return new IdentityConfig(EntraTokens.TENANT, List.of(EntraTokens.AUDIENCE), List.of(EntraTokens.OBJECT_ID),
                IdentityConfig.defaultIssuers(EntraTokens.TENANT), entra.jwksUrl(), Duration.ofMinutes(5));
    }

    /** A channel from the approved 127.0.0.10 whose SignalR calls need a token. */
    private EmbeddedChannel signalrChannel(long maxWaitNanos) {
        final PolicyRef policy = new PolicyRef(ProxyTestChannels.config(
                new SignalRConfig(List.of(SIGNALR_KEY), true, true, identity())));
        channel = ProxyTestChannels.from("127.0.0.10", new AccessDecisionHandler(policy, metrics),
                new IdentityCheckHandler(identities, metrics, maxWaitNanos));
        return channel;
    }

    /** The key source the handler's verifier uses, once it has loaded the keys served now. */
    private KeySetSource loadedKeys() {
        final KeySetSource keys = identities.verifier(identity()).keys();
        await(keys::loaded, "the first key set is loaded");
        assertThat(keys.current().kids())
                .containsExactlyElementsOf(entra.publishedKeys().stream().map(key -> key.getKeyID()).toList());
        return keys;
    }

    private static HttpRequest call(String authorization) {
        final HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                "/runtime/webhooks/signalr");
        request.headers().set("Host", "func.example").set("X-ASRS-Hub", "chat").set("X-ASRS-Category", "connections")
                .set("X-ASRS-Event", "connected").set("X-ASRS-Connection-Id", "c1")
                .set("Content-Type", "application/json").set("Content-Length", 5);
        if (authorization != null) {
            request.headers().set("Authorization", authorization);
        }
        return request;
    }

    /** Starts an exchange for {@code request} and writes it; what the gateway answered, or {@code null}. */
    private FullHttpResponse send(HttpRequest request) {
        ProxyTestChannels.exchange(channel, request);
        channel.writeInbound(request);
        final Object forwarded = channel.readInbound();
        final FullHttpResponse answer = channel.readOutbound();
        assertThat(forwarded == null).as("either forwarded or answered").isEqualTo(answer != null);
        if (forwarded != null) {
            assertThat(forwarded).isSameAs(request);
        }
        return answer;
    }

    /** {@code STATUS REASON WWW-Authenticate}, the answer released. */
    private static String refusal(FullHttpResponse response) {
        assertThat(response).as("an answer from the gateway").isNotNull();
        try {
            assertThat(response.content().toString(StandardCharsets.US_ASCII))
                    .isEqualTo("{\"error\":\"" + response.status().reasonPhrase() + "\",\"reason\":\""
                            + response.headers().get("X-Gateway-Deny-Reason") + "\"}");
            return response.status().code() + " " + response.headers().get("X-Gateway-Deny-Reason") + " "
                    + response.headers().get("WWW-Authenticate");
        } finally {
            response.release();
        }
    }

    private static ByteBuf pooled(String text) {
        return PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static ByteBuf unpooled(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    /**
     * Waits until the key source's answer has been handed to the channel's executor, then runs it: the
     * handler's resumption. Bounded; fails when nothing arrives.
     */
    private void runResumption() {
        await(channel::hasPendingTasks, "the key refresh hands the call back to the event loop");
        channel.runPendingTasks();
    }

    private static void await(BooleanSupplier condition, String what) {
        Await.until(what, AWAIT, condition);
    }

    @Test
    void aValidTokenLetsTheSameRequestOnUnchanged() {
        signalrChannel(LONG_WAIT);
        loadedKeys();
        final String token = entra.v1().sign();
        final HttpRequest request = call("Bearer " + token);
        assertThat(send(request)).isNull();
        assertThat(request.headers().getAll("Authorization")).containsExactly("Bearer " + token);
        final ProxyExchange exchange = ProxyExchange.current(channel);
        assertThat(exchange.upstream()).isEqualTo("func");
        assertThat(exchange.outcome()).isEqualTo(Outcome.FORWARDED);
        assertThat(exchange.reason()).isNull();
        // A known kid asks for no refresh.
        assertThat(metrics.identityKeyRefreshes(KeySetSource.SUCCESS)).isEqualTo(1);
    }

    @Test
    void aTokenOfAnotherCallerIsForbiddenWithoutAChallenge() {
        signalrChannel(LONG_WAIT);
        loadedKeys();
        final String other = entra.v1().objectId("00000000-1111-2222-3333-444444444444")
                .claim("appid", "00000000-1111-2222-3333-555555555555").sign();
        assertThat(refusal(send(call("Bearer " + other)))).isEqualTo("403 caller-not-allowed null");
        assertThat(ProxyExchange.current(channel).outcome()).isEqualTo(Outcome.DENIED);
    }

    @Test
    void aMissingTokenIsChallenged() {
        signalrChannel(LONG_WAIT);
        loadedKeys();
        assertThat(refusal(send(call(null)))).isEqualTo("401 missing-token Bearer");
        assertThat(refusal(send(call("")))).isEqualTo("401 missing-token Bearer");
        assertThat(ProxyExchange.current(channel).reason()).isEqualTo("missing-token");
        assertThat(metrics.scrape()).contains("gateway_denied_total{reason=\"missing-token\"} 2.0");
    }

    @Test
    void twoAuthorizationHeadersAreAnInvalidTokenEvenWhenBothAreValid() {
        signalrChannel(LONG_WAIT);
        loadedKeys();
        final HttpRequest request = call("Bearer " + entra.v1().sign());
        request.headers().add("Authorization", "Bearer " + entra.v2().sign());
        assertThat(refusal(send(request))).isEqualTo("401 invalid-token Bearer");
        final HttpRequest basic = call("Basic dXNlcjpwYXNz");
        assertThat(refusal(send(basic))).isEqualTo("401 invalid-token Bearer");
        assertThat(metrics.scrape()).contains("gateway_denied_total{reason=\"invalid-token\"} 2.0");
    }

    @Test
    void untilKeysWereLoadedOnceCallsAreUnavailable() {
        entra.failJwks(500);
        signalrChannel(LONG_WAIT);
        final KeySetSource keys = identities.verifier(identity()).keys();
        await(() -> metrics.identityKeyRefreshes(KeySetSource.FAILURE) >= 1, "the first fetch has failed");
        assertThat(keys.loaded()).isFalse();
        assertThat(refusal(send(call("Bearer " + entra.v1().sign())))).isEqualTo("503 identity-unavailable null");
        // A missing token is still said as such: it needs no key.
        assertThat(refusal(send(call(null)))).isEqualTo("401 missing-token Bearer");
    }

    @Test
    void aRotatedKeyHoldsTheCallThenLetsHeadAndBodyOnInOrder() {
        signalrChannel(LONG_WAIT);
        loadedKeys();
        final int fetches = entra.jwksRequests();
        entra.rotate(true);
        // Slow enough that the body surely arrives while the refresh is in flight.
        entra.delayJwks(Duration.ofMillis(300));
        final HttpRequest head = call("Bearer " + entra.v1().sign());
        final HttpContent part = new DefaultHttpContent(pooled("{\"ty"));
        final LastHttpContent last = new DefaultLastHttpContent(unpooled("pe\"}"));
        ProxyTestChannels.exchange(channel, head);
        channel.writeInbound(head);
        channel.writeInbound(part);
        channel.writeInbound(last);
        assertThat((Object) channel.readInbound()).as("held while the keys are fetched").isNull();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(part.refCnt()).isEqualTo(1);
        assertThat(last.refCnt()).isEqualTo(1);

        runResumption();
        assertThat((Object) channel.readInbound()).isSameAs(head);
        final HttpContent first = channel.readInbound();
        final HttpContent second = channel.readInbound();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(first).isSameAs(part);
        assertThat(second).isSameAs(last);
        assertThat(first.content().toString(StandardCharsets.US_ASCII)
                + second.content().toString(StandardCharsets.US_ASCII)).isEqualTo("{\"type\"}");
        assertThat(part.refCnt()).as("forwarded, so still ours to release").isEqualTo(1);
        assertThat(last.refCnt()).isEqualTo(1);
        part.release();
        last.release();
        assertThat(ProxyExchange.current(channel).outcome()).isEqualTo(Outcome.FORWARDED);
        assertThat(entra.jwksRequests()).isEqualTo(fetches + 1);
        assertThat(metrics.identityKeyRefreshes(KeySetSource.SUCCESS)).isEqualTo(2);
    }

    @Test
    void aKeyThatStaysUnknownIsRefusedAndTheHeldBodyReleased() {
        signalrChannel(LONG_WAIT);
        loadedKeys();
        final int fetches = entra.jwksRequests();
        entra.delayJwks(Duration.ofMillis(300));
        final String forged = "Bearer " + entra.v1().signedWith(EntraTokens.newKey()).sign();
        final HttpRequest head = call(forged);
        final HttpContent part = new DefaultHttpContent(pooled("{\"ty"));
        final LastHttpContent last = new DefaultLastHttpContent(unpooled("pe\"}"));
        ProxyTestChannels.exchange(channel, head);
        channel.writeInbound(head);
        channel.writeInbound(part);
        channel.writeInbound(last);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).isNull();

        runResumption();
        assertThat(refusal(channel.readOutbound())).isEqualTo("401 invalid-token Bearer");
        assertThat((Object) channel.readInbound()).as("nothing forwarded").isNull();
        assertThat(part.refCnt()).isZero();
        assertThat(last.refCnt()).isZero();
        assertThat(entra.jwksRequests()).isEqualTo(fetches + 1);

        // Within the minute the same kid asks for no fetch: refused at once, and nothing is held after it.
        entra.delayJwks(Duration.ZERO);
        final HttpRequest again = call(forged);
        final HttpContent body = new DefaultHttpContent(pooled("{}"));
        assertThat(refusal(send(again))).isEqualTo("401 invalid-token Bearer");
        channel.writeInbound(body);
        assertThat(body.refCnt()).as("not held after a refusal, so passed on").isEqualTo(1);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        body.release();
        assertThat(entra.jwksRequests()).isEqualTo(fetches + 1);
    }

    @Test
    void aTokenThatPassedOnTheConnectionIsCheckedAgainOnceItsKeyLeftTheSet() {
        signalrChannel(LONG_WAIT);
        loadedKeys();
        final String before = "Bearer " + entra.v1().sign();
        assertThat(send(call(before))).isNull();
        assertThat(send(call(before))).as("the same token again").isNull();

        entra.rotate(false); // the old key leaves the JWKS
        entra.delayJwks(Duration.ofMillis(300));
        final HttpRequest rotated = call("Bearer " + entra.v1().sign());
        ProxyTestChannels.exchange(channel, rotated);
        channel.writeInbound(rotated);
        runResumption();
        assertThat((Object) channel.readInbound()).isSameAs(rotated);

        // The refresh within the minute answers at once with the new set, which lacks the old token's kid.
        assertThat(refusal(send(call(before)))).isEqualTo("401 invalid-token Bearer");
        assertThat(metrics.identityKeyRefreshes(KeySetSource.SUCCESS)).isEqualTo(2);
    }

    @Test
    void aRefreshSlowerThanTheWaitIsUnavailableAndTheBodyReleased() {
        signalrChannel(TimeUnit.MILLISECONDS.toNanos(200));
        loadedKeys();
        entra.rotate(false);
        entra.delayJwks(Duration.ofSeconds(3));
        final HttpRequest head = call("Bearer " + entra.v1().sign());
        final HttpContent part = new DefaultHttpContent(pooled("{\"ty"));
        final LastHttpContent last = new DefaultLastHttpContent(unpooled("pe\"}"));
        ProxyTestChannels.exchange(channel, head);
        channel.freezeTime(); // the timer then runs on the test's clock alone
        channel.writeInbound(head);
        channel.writeInbound(part);
        channel.writeInbound(last);
        channel.advanceTimeBy(199, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat((Object) channel.readOutbound()).as("still waiting before 200 ms").isNull();

        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(refusal(channel.readOutbound())).isEqualTo("503 identity-unavailable null");
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(part.refCnt()).isZero();
        assertThat(last.refCnt()).isZero();
        assertThat(ProxyExchange.current(channel).reason()).isEqualTo("identity-unavailable");
    }

    @Test
    void aRefreshThatEndsAfterItsCallWasRefusedDoesNotJudgeTheNextCall() {
        signalrChannel(TimeUnit.MILLISECONDS.toNanos(200));
        loadedKeys();
        entra.rotate(false);
        entra.delayJwks(Duration.ofMillis(500));
        final HttpRequest first = call("Bearer " + entra.v1().sign());
        ProxyTestChannels.exchange(channel, first);
        channel.freezeTime();
        channel.writeInbound(first);
        channel.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(refusal(channel.readOutbound())).isEqualTo("503 identity-unavailable null");
        // The refresh the first call asked for ends now, and its resumption waits on the event loop...
        await(channel::hasPendingTasks, "the first call's refresh hands back to the event loop");
        // ...while a second call, with a token of a key published nowhere, arrives and is held.
        final HttpRequest second = call("Bearer " + entra.v1().signedWith(EntraTokens.newKey()).sign());
        ProxyTestChannels.exchange(channel, second);
        channel.writeInbound(second);
        channel.runPendingTasks();
        assertThat((Object) channel.readInbound()).as("the second call is judged by its own token").isNull();
        assertThat(refusal(channel.readOutbound())).isEqualTo("401 invalid-token Bearer");
    }

    @Test
    void closingTheConnectionWhileACallWaitsReleasesWhatWasHeld() {
        signalrChannel(LONG_WAIT);
        loadedKeys();
        entra.rotate(false);
        entra.delayJwks(Duration.ofSeconds(1));
        final HttpRequest head = call("Bearer " + entra.v1().sign());
        final HttpContent part = new DefaultHttpContent(pooled("{\"ty"));
        final LastHttpContent last = new DefaultLastHttpContent(unpooled("pe\"}"));
        ProxyTestChannels.exchange(channel, head);
        channel.writeInbound(head);
        channel.writeInbound(part);
        channel.writeInbound(last);
        channel.close();
        assertThat(part.refCnt()).isZero();
        assertThat(last.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.pipeline().get(IdentityCheckHandler.class)).as("removed with the closed channel").isNull();
    }

    @Test
    void theWebPubSubHandshakeNeedsNoTokenButItsEventsDo() {
        final WebPubSubConfig webpubsub = new WebPubSubConfig(List.of(WPS_KEY), true, true, List.of(), identity());
        final PolicyRef policy = new PolicyRef(ProxyTestChannels.webPubSubConfig(
                new SignalRConfig(List.of(SIGNALR_KEY), true, true), webpubsub));
        channel = ProxyTestChannels.from("127.0.0.10", new AccessDecisionHandler(policy, metrics),
                new IdentityCheckHandler(identities, metrics, LONG_WAIT));
        loadedKeys();

        final HttpRequest handshake = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.OPTIONS,
                "/runtime/webhooks/webpubsub");
        handshake.headers().set("Host", "func.example").set("WebHook-Request-Origin", "contoso.webpubsub.azure.com");
        assertThat(send(handshake)).isNull();
        assertThat(ProxyExchange.current(channel).upstream()).isEqualTo("wps");

        final HttpRequest event = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                "/runtime/webhooks/webpubsub");
        event.headers().set("Host", "func.example").set("ce-specversion", "1.0")
                .set("ce-type", "azure.webpubsub.sys.connect").set("ce-id", "1").set("ce-hub", "chat")
                .set("ce-connectionId", "conn-1").set("ce-eventName", "connect")
                .set("Content-Type", "application/json");
        assertThat(refusal(send(event))).isEqualTo("401 missing-token Bearer");
        assertThat(ProxyExchange.current(channel).upstream()).isEqualTo("wps");
        event.headers().set("Authorization", "Bearer " + entra.v2().sign());
        assertThat(send(event)).isNull();

        // SignalR has no identity block here: its calls need no token.
        assertThat(send(call(null))).isNull();
        assertThat(ProxyExchange.current(channel).upstream()).isEqualTo("func");
    }
}
