package dev.privateupstream.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.AdminConfig;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.LimitsConfig;
import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.config.UpstreamProtocol;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Routing reads each upstream's own protocol's facts: X-ASRS-* for SignalR, ce-* for Web PubSub (SPEC §13). */
class WebPubSubRoutingTest {
    private static final String FUNC = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/func";
    private static final IpAddress CALLER = IpAddress.parse("10.1.0.4");

    private static UpstreamConfig upstream(String name, UpstreamProtocol protocol, String hub, String category,
            String event) {
        return new UpstreamConfig(name, FUNC, URI.create("http://127.0.0.1:7071"), List.of(), hub, category, event,
                16, null, protocol);
    }

    private static final PolicySnapshot SNAPSHOT = PolicySnapshot.of(new GatewayConfig(Path.of("/tmp/gateway.yaml"),
            new ListenConfig("127.0.0.1", 0, null, ListenConfig.ProxyProtocolMode.DISABLED, List.of(),
                    ListenConfig.ForwardedHeader.NONE, false),
            LimitsConfig.DEFAULTS, new AdminConfig("127.0.0.1", 0, null), null, List.of(
                    upstream("wps-chat-user", UpstreamProtocol.WEBPUBSUB, "chat", "user", "message"),
                    upstream("wps-any", UpstreamProtocol.WEBPUBSUB, "*", "system,user", "*"),
                    upstream("signalr", UpstreamProtocol.SIGNALR, "chat", null, null)),
            Path.of("/tmp/endpoints.yaml"), null, List.of(new SharedPrivateEndpoint("spe", "sites", FUNC, "",
                    EndpointStatus.APPROVED, "", List.of(IpPrefix.parse("10.1.0.4")), null))), 1);

    private static String route(CallFacts facts) {
        final Decision decision = SNAPSHOT.decide(facts);
        return decision.route() == null ? null : decision.route().name();
    }

    private static CallFacts webPubSub(String hub, String category, String event) {
        return new CallFacts(CALLER, null, "func", null, null, null, hub, category, event, false);
    }

    @Test
    void webPubSubUpstreamsMatchTheCloudEventsFacts() {
        assertThat(route(webPubSub("CHAT", "user", "Message"))).isEqualTo("wps-chat-user");
        assertThat(route(webPubSub("chat", "system", "connect"))).isEqualTo("wps-any");
        assertThat(route(webPubSub("other", "user", "message"))).isEqualTo("wps-any");
        assertThat(SNAPSHOT.routesWebPubSub()).isTrue();
    }

    @Test
    void signalrCallsPassWebPubSubUpstreamsThatNeedACategory() {
        // A SignalR call has no ce-type, so no category: system,user does not take it.
        assertThat(route(new CallFacts(CALLER, null, "func", "chat", "messages", "send"))).isEqualTo("signalr");
        assertThat(route(new CallFacts(CALLER, null, "func", "other", "messages", "send"))).isNull();
    }

    @Test
    void theHandshakeRoutesByHostOnly() {
        assertThat(route(new CallFacts(CALLER, null, "func", null, null, null, null, null, null, true)))
                .isEqualTo("wps-chat-user");
    }
}
