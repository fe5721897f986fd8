package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.reload.PolicyRef;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AccessDecisionHandlerTest {
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final PolicyRef policy = new PolicyRef(ProxyTestChannels.config(null));

    private static HttpRequest request() {
        final HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/x");
        request.headers().set("Host", "func.example");
        return request;
    }

    @Test
    void anApprovedCallerPassesWithItsDecisionRecorded() {
        final EmbeddedChannel channel = ProxyTestChannels.from("127.0.0.10", new AccessDecisionHandler(policy, metrics));
        final HttpRequest request = request();
        final ProxyExchange exchange = ProxyTestChannels.exchange(channel, request);
        channel.writeInbound(request);
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat(exchange.decision()).isInstanceOf(Decision.Allow.class);
        assertThat(exchange.upstream()).isEqualTo("func");
        assertThat(exchange.snapshot()).isSameAs(policy.get());
        assertThat((Object) channel.readOutbound()).isNull();
    }

    @Test
    void aPendingCallerIsAnsweredHereAndNothingGoesFurther() {
        final EmbeddedChannel channel = ProxyTestChannels.from("127.0.0.20", new AccessDecisionHandler(policy, metrics));
        final ProxyExchange exchange = ProxyTestChannels.exchange(channel, request());
        channel.writeInbound(request());
        assertThat((Object) channel.readInbound()).isNull();
        final FullHttpResponse response = channel.readOutbound();
        assertThat(response.status().code()).isEqualTo(403);
        assertThat(response.headers().get("X-Gateway-Deny-Reason")).isEqualTo("endpoint-pending");
        assertThat(response.content().toString(StandardCharsets.US_ASCII))
                .isEqualTo("{\"error\":\"Forbidden\",\"reason\":\"endpoint-pending\"}");
        assertThat(response.headers().contains("Connection")).isFalse(); // the connection stays open
        response.release();
        assertThat(exchange.reason()).isEqualTo("endpoint-pending");
        assertThat(metrics.scrape()).contains("gateway_denied_total{reason=\"endpoint-pending\"} 1.0");
    }

    @Test
    void theSnapshotInForceWhenTheRequestArrivesDecides() {
        final EmbeddedChannel channel = ProxyTestChannels.from("127.0.0.20", new AccessDecisionHandler(policy, metrics));
        final var config = ProxyTestChannels.config(null);
        policy.swap(config.withEndpoints(config.endpoints().stream()
                .map(e -> e.withStatus(dev.privateupstream.endpoint.EndpointStatus.APPROVED, null)).toList()));
        final HttpRequest request = request();
        ProxyTestChannels.exchange(channel, request);
        channel.writeInbound(request);
        assertThat((Object) channel.readInbound()).isSameAs(request);
    }
}
