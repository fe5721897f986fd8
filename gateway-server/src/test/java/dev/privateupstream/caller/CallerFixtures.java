package dev.privateupstream.caller;

import dev.privateupstream.config.AdminConfig;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.LimitsConfig;
import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.config.ListenConfig.ForwardedHeader;
import dev.privateupstream.config.ListenConfig.ProxyProtocolMode;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.reload.PolicyRef;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Configurations, policies and fake-peer channels for the caller handlers' unit tests.
 */
final class CallerFixtures {
    static final String RESOURCE = "/subscriptions/0/resourceGroups/test/providers/Microsoft.Web/sites/func-a";
    /** Approved for {@link #RESOURCE}: 10.1.0.4 and 127.0.0.10; link id 520093697 with no address. */
    static final List<SharedPrivateEndpoint> ENDPOINTS = List.of(
            endpoint("private", EndpointStatus.APPROVED, null, "10.1.0.4"),
            endpoint("loopback", EndpointStatus.APPROVED, null, "127.0.0.10"),
            endpoint("pending", EndpointStatus.PENDING, null, "10.1.0.20"),
            endpoint("linked", EndpointStatus.APPROVED, new LinkId(520093697L)));

    private CallerFixtures() {
    }

    static SharedPrivateEndpoint endpoint(String name, EndpointStatus status, LinkId linkId, String... ips) {
        return new SharedPrivateEndpoint(name, "sites", RESOURCE, "", status, "",
                Stream.of(ips).map(IpPrefix::parse).toList(), linkId);
    }

    static ListenConfig listen(ProxyProtocolMode proxyProtocol, ForwardedHeader forwarded, boolean rejectAtConnect,
            String... trustedProxies) {
        return new ListenConfig("127.0.0.1", 0, null, proxyProtocol,
                Stream.of(trustedProxies).map(IpPrefix::parse).toList(), forwarded, rejectAtConnect);
    }

    static PolicyRef policy(ListenConfig listen) {
        final UpstreamConfig upstream = new UpstreamConfig("func-a", RESOURCE, URI.create("http://127.0.0.1:1"),
                List.of(), null, null, null, 8);
        return new PolicyRef(new GatewayConfig(Path.of("gateway.yaml"), listen, LimitsConfig.DEFAULTS,
                new AdminConfig("127.0.0.1", 0, null), null, List.of(upstream), Path.of("endpoints.yaml"), null, ENDPOINTS));
    }

    static CallerPolicy callers(ListenConfig listen, GatewayMetrics metrics) {
        return CallerPolicy.of(listen, policy(listen), metrics);
    }

    /**
     * An active channel whose TCP peer is {@code peer}, with its {@link ConnectionFacts} set before the
     * handlers see it become active, as the initializer sets them.
     */
    static EmbeddedChannel channel(String peer, ChannelHandler... handlers) {
        final InetSocketAddress remote = new InetSocketAddress(peer, 51234);
        final EmbeddedChannel channel = new EmbeddedChannel(false, false, handlers) {
            @Override
            protected SocketAddress remoteAddress0() {
                return remote;
            }
        };
        channel.attr(ConnectionFacts.KEY).set(new ConnectionFacts(remote));
        try {
            channel.register(); // adds the handlers and makes the channel active
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return channel;
    }

    static double denied(GatewayMetrics metrics, DenyReason reason) {
        return metrics.registry().get("gateway_denied").tag("reason", reason.wireText()).counter().count();
    }
}
