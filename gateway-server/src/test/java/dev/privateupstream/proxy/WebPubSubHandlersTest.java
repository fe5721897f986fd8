package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.SignalRConfig;
import dev.privateupstream.config.WebPubSubConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.signalr.SignatureVerifier;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The access decision, the abuse-protection handshake and the Web PubSub checks in the pipeline's order
 * (SPEC §13), on an embedded channel: what is answered here, with which status and reason, and what goes on.
 */
class WebPubSubHandlersTest {
    private static final String KEY = "wps-access-key";
    private final GatewayMetrics metrics = new GatewayMetrics();

    private EmbeddedChannel channel(String source, WebPubSubConfig webpubsub) {
        final PolicyRef policy = new PolicyRef(ProxyTestChannels.webPubSubConfig(
                new SignalRConfig(List.of("signalr-key"), true, true), webpubsub));
        return ProxyTestChannels.from(source, new AccessDecisionHandler(policy, metrics),
                new AbuseProtectionHandler(metrics), new SignalRCheckHandler(metrics), new WebPubSubCheckHandler(metrics));
    }

    private static WebPubSubConfig checks(List<String> origins) {
        return new WebPubSubConfig(List.of(KEY), true, true, origins, null);
    }

    private static HttpRequest event(String type, String contentType, String signature) {
        final HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                "/runtime/webhooks/webpubsub");
        request.headers().set("Host", "func.example").set("ce-specversion", "1.0").set("ce-type", type)
                .set("ce-id", "1").set("ce-hub", "chat").set("ce-connectionId", "conn-1")
                .set("ce-eventName", type.substring(type.lastIndexOf('.') + 1)).set("Content-Type", contentType)
                .set("WebHook-Request-Origin", "contoso.webpubsub.azure.com");
        if (signature != null) {
            request.headers().set("ce-signature", signature);
        }
        return request;
    }

    private static HttpRequest handshake(String origin) {
        final HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.OPTIONS, "/validate");
        request.headers().set("Host", "func.example").set("WebHook-Request-Origin", origin);
        return request;
    }

    /** Sends {@code request}; the answer the gateway made, or {@code null} when the request went on. */
    private static FullHttpResponse send(EmbeddedChannel channel, HttpRequest request) {
        ProxyTestChannels.exchange(channel, request);
        channel.writeInbound(request);
        final Object forwarded = channel.readInbound();
        final FullHttpResponse answer = channel.readOutbound();
        assertThat(forwarded == null).as("either forwarded or answered").isEqualTo(answer != null);
        return answer;
    }

    private static String reason(FullHttpResponse response) {
        try {
            return response.status().code() + " " + response.headers().get("X-Gateway-Deny-Reason");
        } finally {
            response.release();
        }
    }

    @Test
    void aSignedWellFormedEventGoesOnToTheWebPubSubUpstream() {
        final EmbeddedChannel channel = channel("127.0.0.10", checks(List.of()));
        final HttpRequest request = event("azure.webpubsub.sys.connect", "application/json",
                "sha256=0000," + SignatureVerifier.sign(KEY, "conn-1"));
        assertThat(send(channel, request)).isNull();
        assertThat(ProxyExchange.current(channel).upstream()).isEqualTo("wps");
    }

    @Test
    void signatureThenShapeAreCheckedWithTheirReasons() {
        final EmbeddedChannel channel = channel("127.0.0.10", checks(List.of()));
        final String valid = SignatureVerifier.sign(KEY, "conn-1");
        assertThat(reason(send(channel, event("azure.webpubsub.user.message", "text/plain", null))))
                .isEqualTo("401 missing-signature");
        assertThat(reason(send(channel, event("azure.webpubsub.user.message", "text/plain", "sha256=deadbeef"))))
                .isEqualTo("401 invalid-signature");
        assertThat(reason(send(channel, event("azure.webpubsub.user.message", "text/plain",
                SignatureVerifier.sign("signalr-key", "conn-1"))))).isEqualTo("401 invalid-signature");
        assertThat(reason(send(channel, event("azure.webpubsub.sys.connected", "text/plain", valid))))
                .isEqualTo("415 not-webpubsub-event");
        final HttpRequest noId = event("azure.webpubsub.user.message", "text/plain", valid);
        noId.headers().remove("ce-id");
        assertThat(reason(send(channel, noId))).isEqualTo("400 not-webpubsub-event");
        final HttpRequest get = event("azure.webpubsub.user.message", "text/plain", valid);
        get.setMethod(HttpMethod.GET);
        assertThat(reason(send(channel, get))).isEqualTo("405 not-webpubsub-event");
    }

    @Test
    void aCallerThatIsNotApprovedLearnsOnlyTheAccessRefusal() {
        final EmbeddedChannel channel = channel("127.0.0.20", checks(List.of("contoso.webpubsub.azure.com")));
        assertThat(reason(send(channel, event("azure.webpubsub.user.message", "text/plain", null))))
                .isEqualTo("403 endpoint-pending");
        assertThat(reason(send(channel, handshake("contoso.webpubsub.azure.com")))).isEqualTo("403 endpoint-pending");
    }

    @Test
    void theHandshakeIsAnsweredHereWhenOriginsAreSet() {
        final EmbeddedChannel channel = channel("127.0.0.10", checks(List.of("contoso.webpubsub.azure.com")));
        final FullHttpResponse allowed = send(channel, handshake("other.webpubsub.azure.com, Contoso.WebPubSub.Azure.com"));
        assertThat(allowed.status().code()).isEqualTo(200);
        assertThat(allowed.headers().get("WebHook-Allowed-Origin")).isEqualTo("Contoso.WebPubSub.Azure.com");
        assertThat(allowed.headers().contains("X-Gateway-Deny-Reason")).isFalse();
        assertThat(ProxyExchange.current(channel).reason()).isEqualTo("abuse-protection");
        allowed.release();
        assertThat(reason(send(channel, handshake("contoso.webpubsub.azure.com.attacker.example"))))
                .isEqualTo("403 origin-not-allowed");
    }

    @Test
    void withoutOriginsTheHandshakeGoesToTheBackend() {
        final EmbeddedChannel channel = channel("127.0.0.10", checks(List.of()));
        assertThat(send(channel, handshake("contoso.webpubsub.azure.com"))).isNull();
        assertThat(ProxyExchange.current(channel).upstream()).isEqualTo("wps");
    }

    @Test
    void signalrCallsKeepTheirOwnChecksBesideAWebPubSubUpstream() {
        final EmbeddedChannel channel = channel("127.0.0.10", checks(List.of()));
        final HttpRequest signalr = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api");
        signalr.headers().set("Host", "func.example").set("X-ASRS-Hub", "chat").set("X-ASRS-Category", "messages")
                .set("X-ASRS-Event", "send").set("X-ASRS-Connection-Id", "c").set("Content-Type", "application/json")
                .set("X-ASRS-Signature", SignatureVerifier.sign("signalr-key", "c"));
        assertThat(send(channel, signalr)).isNull();
        assertThat(ProxyExchange.current(channel).upstream()).isEqualTo("func");
        signalr.headers().set("X-ASRS-Signature", SignatureVerifier.sign(KEY, "c"));
        assertThat(reason(send(channel, signalr))).isEqualTo("401 invalid-signature");
    }
}
