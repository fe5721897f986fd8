package dev.privateupstream.caller;

import static dev.privateupstream.caller.CallerFixtures.callers;
import static dev.privateupstream.caller.CallerFixtures.channel;
import static dev.privateupstream.caller.CallerFixtures.denied;
import static dev.privateupstream.caller.CallerFixtures.listen;
import static dev.privateupstream.caller.ProxyHeaders.ascii;
import static dev.privateupstream.caller.ProxyHeaders.azureLinkId;
import static dev.privateupstream.caller.ProxyHeaders.v1Tcp4;
import static dev.privateupstream.caller.ProxyHeaders.v2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.config.ListenConfig.ForwardedHeader;
import dev.privateupstream.config.ListenConfig.ProxyProtocolMode;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.DenyReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RejectAtConnectHandler}: which connections it closes before anything is read, and that it leaves
 * the pipeline of every connection it admits.
 */
class RejectAtConnectHandlerTest {
    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    private final GatewayMetrics metrics = new GatewayMetrics();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void releaseEverything() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    /** Stands for the rest of the pipeline: counts activations, as ExchangeHandler would start reading. */
    private static final class Activations extends ChannelInboundHandlerAdapter {
        int count;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            count++;
        }
    }

    private EmbeddedChannel connect(ListenConfig listen, String peer, Activations activations) {
        final CallerPolicy callers = callers(listen, metrics);
        final EmbeddedChannel channel = callers.newProxyProtocolHandler(Duration.ofSeconds(10)) == null
                ? channel(peer, callers.rejectAtConnectHandler(), activations)
                : channel(peer, callers.newProxyProtocolHandler(Duration.ofSeconds(10)),
                        callers.rejectAtConnectHandler(), activations);
        channels.add(channel);
        return channel;
    }

    @Test
    void closesASourceNoEndpointCanAllowBeforeAnythingIsActivated() {
        final ListenConfig listen = listen(ProxyProtocolMode.DISABLED, ForwardedHeader.NONE, true);
        for (String peer : new String[] {"127.0.0.99", "10.1.0.20", "203.0.113.7"}) {
            final Activations activations = new Activations();
            final EmbeddedChannel channel = connect(listen, peer, activations);
            assertThat(channel.isActive()).as(peer).isFalse();
            assertThat(activations.count).as("nobody behind may start reading").isZero();
        }
        assertThat(denied(metrics, DenyReason.REJECTED_AT_CONNECT)).isEqualTo(3);
    }

    @Test
    void admitsAnAllowedSourceAndRemovesItself() {
        final Activations activations = new Activations();
        final EmbeddedChannel channel = connect(listen(ProxyProtocolMode.DISABLED, ForwardedHeader.NONE, true),
                "127.0.0.10", activations);
        assertThat(channel.isActive()).isTrue();
        assertThat(activations.count).isEqualTo(1);
        assertThat(channel.pipeline().get(RejectAtConnectHandler.class)).isNull();
        assertThat(denied(metrics, DenyReason.REJECTED_AT_CONNECT)).isZero();
    }

    @Test
    void judgesThePROXYSourceOfATrustedProxyBeforeTheRequestMovesOn() {
        final ListenConfig listen = listen(ProxyProtocolMode.OPTIONAL, ForwardedHeader.NONE, true, "127.0.0.5");

        final Activations refusedActivations = new Activations();
        final EmbeddedChannel refused = connect(listen, "127.0.0.5", refusedActivations);
        assertThat(refused.isActive()).as("the proxy itself is not judged at accept").isTrue();
        refused.writeInbound(Unpooled.wrappedBuffer(v1Tcp4("10.99.0.1"), ascii(REQUEST)));
        assertThat(refused.isActive()).isFalse();
        final Object passed = refused.readInbound();
        assertThat(passed).as("no request byte passed").isNull();

        final EmbeddedChannel admitted = connect(listen, "127.0.0.5", new Activations());
        admitted.writeInbound(Unpooled.wrappedBuffer(v1Tcp4("10.1.0.4"), ascii(REQUEST)));
        assertThat(admitted.isActive()).isTrue();
        assertThat(admitted.pipeline().get(RejectAtConnectHandler.class)).isNull();
        final ByteBuf request = admitted.readInbound();
        assertThat(request.toString(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo(REQUEST);
        request.release();

        assertThat(denied(metrics, DenyReason.REJECTED_AT_CONNECT)).isEqualTo(1);
    }

    @Test
    void admitsAProxySpeakingForItselfAndALinkId() {
        final ListenConfig listen = listen(ProxyProtocolMode.OPTIONAL, ForwardedHeader.NONE, true, "127.0.0.5");
        final EmbeddedChannel local = connect(listen, "127.0.0.5", new Activations());
        local.writeInbound(Unpooled.wrappedBuffer(ProxyHeaders.v2(ProxyHeaders.LOCAL, ProxyHeaders.UNSPEC, null,
                null)));
        final EmbeddedChannel noHeader = connect(listen, "127.0.0.5", new Activations());
        noHeader.writeInbound(Unpooled.wrappedBuffer(ascii(REQUEST)));
        final EmbeddedChannel linked = connect(listen, "127.0.0.5", new Activations());
        linked.writeInbound(Unpooled.wrappedBuffer(v2("10.99.0.1", azureLinkId(520093697L))));

        for (EmbeddedChannel channel : List.of(local, noHeader, linked)) {
            assertThat(channel.isActive()).isTrue();
            assertThat(channel.pipeline().get(RejectAtConnectHandler.class)).isNull();
        }
        assertThat(denied(metrics, DenyReason.REJECTED_AT_CONNECT)).isZero();
    }

    @Test
    void admitsATrustedProxyWhoseRequestsNameTheirCallers() {
        final ListenConfig listen = listen(ProxyProtocolMode.DISABLED, ForwardedHeader.X_FORWARDED_FOR, true,
                "127.0.0.5");
        final EmbeddedChannel channel = connect(listen, "127.0.0.5", new Activations());
        assertThat(channel.isActive()).isTrue();
        final EmbeddedChannel untrusted = connect(listen, "127.0.0.6", new Activations());
        assertThat(untrusted.isActive()).isFalse();
    }
}
