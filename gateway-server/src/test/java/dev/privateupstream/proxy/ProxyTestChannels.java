package dev.privateupstream.proxy;

import dev.privateupstream.caller.ConnectionFacts;
import dev.privateupstream.config.AdminConfig;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.LimitsConfig;
import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.config.SignalRConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.config.UpstreamProtocol;
import dev.privateupstream.config.WebPubSubConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/** EmbeddedChannels that look like client connections from a chosen loopback address, and a small config. */
final class ProxyTestChannels {
    static final String RESOURCE = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/func";

    private ProxyTestChannels() {
    }

    /** A channel whose peer is {@code source}:40000, with its ConnectionFacts set as the initializer does. */
    static EmbeddedChannel from(String source, ChannelHandler... handlers) {
        final InetSocketAddress peer = new InetSocketAddress(source, 40000);
        final EmbeddedChannel channel = new EmbeddedChannel() {
            @Override
            protected SocketAddress remoteAddress0() {
                return peer; // fakes the peer, as Netty's own ipfilter tests do
            }
        };
        channel.attr(ConnectionFacts.KEY).set(new ConnectionFacts(peer));
        channel.pipeline().addLast(handlers);
        return channel;
    }

    /** Starts an exchange for {@code request} as ExchangeHandler would. */
    static ProxyExchange exchange(EmbeddedChannel channel, HttpRequest request) {
        final ProxyExchange exchange = new ProxyExchange(request, System.nanoTime());
        channel.attr(ProxyExchange.KEY).set(exchange);
        return exchange;
    }

    /** 127.0.0.10 approved, 127.0.0.20 pending; one upstream taking any Host; optional SignalR settings. */
    static GatewayConfig config(SignalRConfig signalr) {
        return new GatewayConfig(Path.of("/tmp/gateway.yaml"),
                new ListenConfig("127.0.0.1", 0, null, ListenConfig.ProxyProtocolMode.DISABLED, List.of(),
                        ListenConfig.ForwardedHeader.NONE, false),
                LimitsConfig.DEFAULTS, new AdminConfig("127.0.0.1", 0, null), signalr,
                List.of(new UpstreamConfig("func", RESOURCE, URI.create("http://127.0.0.1:1"), List.of(), null, null,
                        null, 4)),
                Path.of("/tmp/endpoints.yaml"), null,
                List.of(endpoint("approved", EndpointStatus.APPROVED, "127.0.0.10"),
                        endpoint("pending", EndpointStatus.PENDING, "127.0.0.20")));
    }

    /**
     * As {@link #config}, with a Web PubSub upstream first that takes CloudEvents calls of any hub and the
     * handshake ({@code categoryPattern: system,user}), and the given {@code webpubsub} settings.
     */
    static GatewayConfig webPubSubConfig(SignalRConfig signalr, WebPubSubConfig webpubsub) {
        final GatewayConfig base = config(signalr);
        final List<UpstreamConfig> upstreams = new java.util.ArrayList<>();
        upstreams.add(new UpstreamConfig("wps", RESOURCE, URI.create("http://127.0.0.1:1"), List.of(), null,
                "system,user", null, 4, null, UpstreamProtocol.WEBPUBSUB));
        upstreams.addAll(base.upstreams());
        return new GatewayConfig(base.file(), base.listen(), base.limits(), base.admin(), signalr, webpubsub,
                upstreams, base.endpointsFile(), null, base.endpoints());
    }

    private static SharedPrivateEndpoint endpoint(String name, EndpointStatus status, String ip) {
        return new SharedPrivateEndpoint(name, "sites", RESOURCE, "", status, "", List.of(IpPrefix.parse(ip)), null);
    }
}
