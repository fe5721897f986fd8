package dev.privateupstream.caller;

import static dev.privateupstream.caller.CallerFixtures.callers;
import static dev.privateupstream.caller.CallerFixtures.channel;
import static dev.privateupstream.caller.CallerFixtures.denied;
import static dev.privateupstream.caller.CallerFixtures.listen;
import static dev.privateupstream.caller.ProxyHeaders.CRC32C_TYPE;
import static dev.privateupstream.caller.ProxyHeaders.LOCAL;
import static dev.privateupstream.caller.ProxyHeaders.PROXY;
import static dev.privateupstream.caller.ProxyHeaders.TCP4;
import static dev.privateupstream.caller.ProxyHeaders.UDP4;
import static dev.privateupstream.caller.ProxyHeaders.UNSPEC;
import static dev.privateupstream.caller.ProxyHeaders.ascii;
import static dev.privateupstream.caller.ProxyHeaders.azureLinkId;
import static dev.privateupstream.caller.ProxyHeaders.concat;
import static dev.privateupstream.caller.ProxyHeaders.crc32cPlaceholder;
import static dev.privateupstream.caller.ProxyHeaders.sealed;
import static dev.privateupstream.caller.ProxyHeaders.tlv;
import static dev.privateupstream.caller.ProxyHeaders.v1;
import static dev.privateupstream.caller.ProxyHeaders.v1Tcp4;
import static dev.privateupstream.caller.ProxyHeaders.v2;
import static dev.privateupstream.caller.ProxyHeaders.v2Raw;
import static dev.privateupstream.caller.ProxyHeaders.v2WithCrc32c;
import static dev.privateupstream.caller.ProxyHeaders.V4_CRC32C_VALUE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.caller.ProxyProtocolHandler.Sniff;
import dev.privateupstream.config.ListenConfig.ForwardedHeader;
import dev.privateupstream.config.ListenConfig.ProxyProtocolMode;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.policy.DenyReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ProxyProtocolHandler} and the handlers it hands over to, on an {@link EmbeddedChannel} whose TCP
 * peer is faked: 127.0.0.5 is the trusted proxy, 127.0.0.6 is not.
 */
class ProxyProtocolHandlerTest {
    private static final String TRUSTED = "127.0.0.5";
    private static final String UNTRUSTED = "127.0.0.6";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    private final GatewayMetrics metrics = new GatewayMetrics();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void releaseEverything() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    /** Records the caller events that reach it, and lets everything else pass to the channel's tail. */
    private static final class EventRecorder extends ChannelInboundHandlerAdapter {
        final List<Object> events = new ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }
    }

    private EmbeddedChannel connect(ProxyProtocolMode mode, String peer, ChannelHandler... after) {
        final ChannelHandler handler = callers(listen(mode, ForwardedHeader.NONE, false, TRUSTED), metrics)
                .newProxyProtocolHandler(TIMEOUT);
        final ChannelHandler[] handlers = new ChannelHandler[after.length + 1];
        handlers[0] = handler;
        System.arraycopy(after, 0, handlers, 1, after.length);
        final EmbeddedChannel channel = channel(peer, handlers);
        channel.freezeTime(); // timers move only when a test advances them
        channels.add(channel);
        return channel;
    }

    private static String forwarded(EmbeddedChannel channel) {
        final StringBuilder text = new StringBuilder();
        ByteBuf buf;
        while ((buf = channel.readInbound()) != null) {
            text.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return text.toString();
    }

    private static void assertProxyHandlersGone(EmbeddedChannel channel) {
        assertThat(channel.pipeline().get(ProxyProtocolHandler.class)).isNull();
        assertThat(channel.pipeline().get(HAProxyMessageDecoder.class)).isNull();
        assertThat(channel.pipeline().get(ProxyHeaderHandler.class)).isNull();
    }

    private static ConnectionFacts facts(EmbeddedChannel channel) {
        return ConnectionFacts.of(channel);
    }

    @Test
    void sniffTellsSignaturesTheirPrefixesAndAnythingElseApart() {
        assertThat(sniff("")).isEqualTo(Sniff.NEED_MORE);
        assertThat(sniff("PROX")).isEqualTo(Sniff.NEED_MORE);
        assertThat(sniff("PROXY")).isEqualTo(Sniff.NEED_MORE);
        assertThat(sniff("PROXY ")).isEqualTo(Sniff.V1);
        assertThat(sniff("POST / HTTP/1.1")).isEqualTo(Sniff.NONE);
        assertThat(sniff("PROXYZ")).isEqualTo(Sniff.NONE);
        assertThat(sniff("\r\n\r\n\0\r\nQUI")).isEqualTo(Sniff.NEED_MORE);
        assertThat(sniff("\r\n\r\n\0\r\nQUIT\n")).isEqualTo(Sniff.V2);
        assertThat(sniff("\r\nGET / HTTP/1.1")).isEqualTo(Sniff.NONE);
    }

    private static Sniff sniff(String text) {
        final ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
        try {
            return ProxyProtocolHandler.sniff(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void trustedV1HeaderNamesTheCallerAndThePipelineShrinks() {
        final EventRecorder events = new EventRecorder();
        final EmbeddedChannel channel = connect(ProxyProtocolMode.OPTIONAL, TRUSTED, events);
        channel.writeInbound(Unpooled.wrappedBuffer(v1Tcp4("10.1.0.4"), ascii(REQUEST)));

        assertThat(facts(channel).caller()).isEqualTo(IpAddress.parse("10.1.0.4"));
        assertThat(facts(channel).peerAddress()).isEqualTo(IpAddress.parse(TRUSTED));
        assertThat(facts(channel).linkId()).isNull();
        assertThat(forwarded(channel)).isEqualTo(REQUEST);
        assertThat(events.events).containsExactly(CallerResolvedEvent.PROXIED_CLIENT);
        assertProxyHandlersGone(channel);
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void trustedV2HeaderWithAzureTlvCarriesTheLinkId() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.REQUIRED, TRUSTED);
        channel.writeInbound(Unpooled.wrappedBuffer(
                v2("10.9.9.9", tlv(0x04, ascii("unknown-tlv")), azureLinkId(520093697L)), ascii(REQUEST)));

        assertThat(facts(channel).caller()).isEqualTo(IpAddress.parse("10.9.9.9"));
        assertThat(facts(channel).linkId()).isEqualTo(new LinkId(520093697L));
        assertThat(forwarded(channel)).isEqualTo(REQUEST);
        assertProxyHandlersGone(channel);
    }

    @Test
    void linkIdIsReadAsUnsignedLittleEndian() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        channel.writeInbound(Unpooled.wrappedBuffer(v2("10.9.9.9", azureLinkId(0xFFFF_FFFEL))));
        assertThat(facts(channel).linkId()).isEqualTo(new LinkId(4294967294L));
    }

    /** Counts the reads asked of the socket. */
    private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        int reads;

        @Override
        public void read(ChannelHandlerContext ctx) {
            reads++;
            ctx.read();
        }
    }

    @Test
    void headerThatCameAloneAsksForTheFirstRequestWhenAutoReadIsOff() {
        // As the gateway runs: AUTO_READ off, so a header that used up the first read must ask for another.
        final ReadCounter counter = new ReadCounter();
        final EmbeddedChannel channel = connect(ProxyProtocolMode.REQUIRED, TRUSTED);
        channel.config().setAutoRead(false);
        channel.pipeline().addFirst(counter);
        channel.writeInbound(Unpooled.wrappedBuffer(v1Tcp4("10.1.0.4")));
        assertThat(facts(channel).caller()).isEqualTo(IpAddress.parse("10.1.0.4"));
        assertThat(counter.reads).isPositive();
    }

    @Test
    void headerArrivingOneByteAtATimeIsStillDecoded() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        final byte[] bytes = concat(v2("10.1.0.4", azureLinkId(7)), ascii(REQUEST));
        for (byte b : bytes) {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertThat(facts(channel).caller()).isEqualTo(IpAddress.parse("10.1.0.4"));
        assertThat(facts(channel).linkId()).isEqualTo(new LinkId(7));
        assertThat(forwarded(channel)).isEqualTo(REQUEST);
        assertProxyHandlersGone(channel);
    }

    @Test
    void ipv6SourceBecomesTheCallerInCanonicalForm() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        channel.writeInbound(Unpooled.wrappedBuffer(v2("fd00:0:0:0:0:0:0:4")));
        assertThat(facts(channel).caller().canonical()).isEqualTo("fd00::4");
        assertProxyHandlersGone(channel);
    }

    @Test
    void v1Tcp6SourceBecomesTheCaller() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        channel.writeInbound(Unpooled.wrappedBuffer(v1("PROXY TCP6 fd00::4 ::1 51234 8080")));
        assertThat(facts(channel).caller().canonical()).isEqualTo("fd00::4");
    }

    @Test
    void udpFamilyNamesItsSourceLikeTcp() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        channel.writeInbound(Unpooled.wrappedBuffer(v2(PROXY, UDP4, "10.1.0.4", "127.0.0.1")));
        assertThat(facts(channel).caller()).isEqualTo(IpAddress.parse("10.1.0.4"));
        assertProxyHandlersGone(channel);
    }

    @Test
    void localCommandKeepsTheTcpPeerAsCaller() {
        final EventRecorder events = new EventRecorder();
        final EmbeddedChannel channel = connect(ProxyProtocolMode.REQUIRED, TRUSTED, events);
        // A LOCAL header may still carry addresses and TLVs: the protocol says to ignore them.
        channel.writeInbound(Unpooled.wrappedBuffer(v2(LOCAL, TCP4, "10.1.0.4", "127.0.0.1", azureLinkId(7)),
                ascii(REQUEST)));

        assertThat(facts(channel).caller()).isEqualTo(IpAddress.parse(TRUSTED));
        assertThat(facts(channel).linkId()).isNull();
        assertThat(forwarded(channel)).isEqualTo(REQUEST);
        assertThat(events.events).containsExactly(CallerResolvedEvent.PROXY_ITSELF);
        assertProxyHandlersGone(channel);
    }

    @Test
    void unspecifiedFamilyAndV1UnknownKeepTheTcpPeer() {
        final EmbeddedChannel v2 = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        v2.writeInbound(Unpooled.wrappedBuffer(v2(PROXY, UNSPEC, null, null)));
        assertThat(facts(v2).caller()).isEqualTo(IpAddress.parse(TRUSTED));
        assertProxyHandlersGone(v2);

        final EmbeddedChannel v1 = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        v1.writeInbound(Unpooled.wrappedBuffer(v1("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535")));
        assertThat(facts(v1).caller()).isEqualTo(IpAddress.parse(TRUSTED));
        assertProxyHandlersGone(v1);
    }

    @Test
    void optionalWithoutHeaderPassesTheBytesOnAndKeepsThePeer() {
        for (String peer : new String[] {TRUSTED, UNTRUSTED}) {
            final EventRecorder events = new EventRecorder();
            final EmbeddedChannel channel = connect(ProxyProtocolMode.OPTIONAL, peer, events);
            channel.writeInbound(Unpooled.wrappedBuffer(ascii("P")));
            assertThat(forwarded(channel)).as("a prefix of PROXY waits").isEmpty();
            channel.writeInbound(Unpooled.wrappedBuffer(ascii(REQUEST.replace("GET", "OST"))));

            assertThat(forwarded(channel)).isEqualTo("P" + REQUEST.replace("GET", "OST"));
            assertThat(facts(channel).caller()).isEqualTo(IpAddress.parse(peer));
            assertThat(events.events).hasSize(peer.equals(TRUSTED) ? 1 : 0);
            assertThat(channel.pipeline().get(ProxyProtocolHandler.class)).isNull();
        }
        assertThat(denied(metrics, DenyReason.BAD_PROXY_HEADER)).isZero();
    }

    @ParameterizedTest
    @MethodSource("headers")
    void untrustedPeerSendingAHeaderIsClosedWithNothingForwarded(String name, byte[] header) {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.OPTIONAL, UNTRUSTED);
        channel.writeInbound(Unpooled.wrappedBuffer(header, ascii(REQUEST)));

        assertThat(channel.isActive()).isFalse();
        assertThat(forwarded(channel)).isEmpty();
        assertThat(facts(channel).caller()).isEqualTo(IpAddress.parse(UNTRUSTED));
        assertThat(denied(metrics, DenyReason.UNTRUSTED_PROXY)).isEqualTo(1);
    }

    static Stream<Arguments> headers() {
        return Stream.of(Arguments.of("v1", v1Tcp4("10.1.0.4")), Arguments.of("v2", v2("10.1.0.4")),
                Arguments.of("v2 signature alone", ProxyHeaders.V2_SIGNATURE));
    }

    @Test
    void requiredClosesAnUntrustedPeerAsSoonAsItConnects() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.REQUIRED, UNTRUSTED);
        assertThat(channel.isActive()).isFalse();
        assertThat(denied(metrics, DenyReason.UNTRUSTED_PROXY)).isEqualTo(1);
    }

    @Test
    void requiredRefusesATrustedPeerThatSendsNoHeader() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.REQUIRED, TRUSTED);
        channel.writeInbound(Unpooled.wrappedBuffer(ascii(REQUEST)));
        assertThat(channel.isActive()).isFalse();
        assertThat(forwarded(channel)).isEmpty();
        assertThat(denied(metrics, DenyReason.BAD_PROXY_HEADER)).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedHeaderFromTrustedPeerIsClosedWithNothingForwarded(String name, byte[] header) {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(header, ascii(REQUEST)));
        } catch (RuntimeException e) {
            // EmbeddedChannel rethrows what reached the tail; nothing should.
            throw new AssertionError("exception escaped the handlers: " + e, e);
        }
        assertThat(channel.isActive()).isFalse();
        assertThat(forwarded(channel)).isEmpty();
        assertThat(facts(channel).caller()).isEqualTo(IpAddress.parse(TRUSTED));
        assertThat(denied(metrics, DenyReason.BAD_PROXY_HEADER)).isEqualTo(1);
    }

    static Stream<Arguments> malformed() {
        final byte[] ok = v2("10.1.0.4");
        final byte[] addresses = Arrays.copyOfRange(ok, 16, ok.length);
        return Stream.of(
                Arguments.of("v1 garbage", v1("PROXY GARBAGE")),
                Arguments.of("v1 bad port", v1("PROXY TCP4 10.1.0.4 127.0.0.1 port 8080")),
                Arguments.of("v1 leading zero", v1("PROXY TCP4 010.1.0.4 127.0.0.1 51234 8080")),
                Arguments.of("v1 family mismatch", v1("PROXY TCP4 fd00::4 127.0.0.1 51234 8080")),
                Arguments.of("v1 double space", v1("PROXY TCP4  10.1.0.4 127.0.0.1 51234 8080")),
                Arguments.of("v1 bare LF", ascii("PROXY TCP4 10.1.0.4 127.0.0.1 51234 8080\n" + "x".repeat(100))),
                Arguments.of("v1 oversized", ascii("PROXY TCP4 " + "1".repeat(200))),
                Arguments.of("v2 oversized", v2Raw(PROXY, TCP4, 65535, addresses)),
                Arguments.of("v2 version 1", v2Raw(0x11, TCP4, addresses.length, addresses)),
                Arguments.of("v2 unknown command", v2Raw(0x2F, TCP4, addresses.length, addresses)),
                Arguments.of("v2 unknown family", v2Raw(PROXY, 0x41, addresses.length, addresses)),
                Arguments.of("v2 addresses cut short", v2Raw(PROXY, TCP4, 4, Arrays.copyOf(addresses, 4))),
                Arguments.of("v2 TLV longer than header", v2(PROXY, TCP4, "10.1.0.4", "127.0.0.1",
                        new byte[] {(byte) 0xEE, 0x00, 0x05, 0x01, 0x02})),
                Arguments.of("v2 link id TLV of 4 bytes", v2("10.1.0.4", tlv(0xEE, (byte) 1, (byte) 2, (byte) 3,
                        (byte) 4))),
                Arguments.of("v2 two link ids", v2("10.1.0.4", azureLinkId(1), azureLinkId(2))),
                Arguments.of("v2 wrong CRC32C", flipBit(v2WithCrc32c("10.1.0.4"), V4_CRC32C_VALUE + 3, 0)),
                Arguments.of("v2 CRC32C, one bit of the source address flipped",
                        flipBit(v2WithCrc32c("10.1.0.4"), 16 + 3, 2)),
                Arguments.of("v2 CRC32C, one bit of a later TLV flipped",
                        flipBit(v2WithCrc32c("10.1.0.4", azureLinkId(7)), V4_CRC32C_VALUE + 4 + 3 + 1, 1)),
                Arguments.of("v2 CRC32C sent little-endian", littleEndianCrc32c(v2WithCrc32c("10.1.0.4"))),
                Arguments.of("v2 CRC32C TLV of 3 bytes", v2("10.1.0.4", tlv(CRC32C_TYPE, (byte) 0, (byte) 0,
                        (byte) 0))),
                Arguments.of("v2 two CRC32C TLVs", sealed(v2("10.1.0.4", crc32cPlaceholder(), crc32cPlaceholder()),
                        V4_CRC32C_VALUE)),
                Arguments.of("v2 LOCAL with a wrong CRC32C",
                        flipBit(sealed(v2(LOCAL, UNSPEC, null, null, crc32cPlaceholder()), 16 + 3), 16 + 3, 7)));
    }

    private static byte[] flipBit(byte[] header, int index, int bit) {
        final byte[] out = header.clone();
        out[index] ^= (byte) (1 << bit);
        return out;
    }

    /** The right checksum in the wrong byte order: the TLV's value is big-endian. */
    private static byte[] littleEndianCrc32c(byte[] header) {
        final byte[] out = header.clone();
        for (int i = 0; i < 4; i++) {
            out[V4_CRC32C_VALUE + i] = header[V4_CRC32C_VALUE + 3 - i];
        }
        assertThat(out).as("a checksum that reads the same both ways proves nothing").isNotEqualTo(header);
        return out;
    }

    @Test
    void matchingCrc32cIsAcceptedAndTheRestOfTheHeaderRead() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.REQUIRED, TRUSTED);
        channel.writeInbound(Unpooled.wrappedBuffer(v2WithCrc32c("10.9.9.9", azureLinkId(520093697L)),
                ascii(REQUEST)));

        assertThat(facts(channel).caller()).isEqualTo(IpAddress.parse("10.9.9.9"));
        assertThat(facts(channel).linkId()).isEqualTo(new LinkId(520093697L));
        assertThat(forwarded(channel)).isEqualTo(REQUEST);
        assertProxyHandlersGone(channel);
        assertThat(denied(metrics, DenyReason.BAD_PROXY_HEADER)).isZero();
    }

    @Test
    void matchingCrc32cAfterIpv6AddressesAndInALocalHealthCheckIsAccepted() {
        final EmbeddedChannel v6 = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        v6.writeInbound(Unpooled.wrappedBuffer(sealed(v2("fd00::4", crc32cPlaceholder()), 16 + 36 + 3)));
        assertThat(facts(v6).caller().canonical()).isEqualTo("fd00::4");
        assertProxyHandlersGone(v6);

        // HAProxy's health checks: LOCAL, no addresses, the TLVs right after the 16 fixed bytes.
        final EmbeddedChannel local = connect(ProxyProtocolMode.REQUIRED, TRUSTED);
        local.writeInbound(Unpooled.wrappedBuffer(sealed(v2(LOCAL, UNSPEC, null, null, crc32cPlaceholder()), 16 + 3),
                ascii(REQUEST)));
        assertThat(facts(local).caller()).isEqualTo(IpAddress.parse(TRUSTED));
        assertThat(forwarded(local)).isEqualTo(REQUEST);
        assertProxyHandlersGone(local);
        assertThat(denied(metrics, DenyReason.BAD_PROXY_HEADER)).isZero();
    }

    @Test
    void crc32cIsVerifiedWhenTheHeaderArrivesOneByteAtATime() {
        final EmbeddedChannel good = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        final EmbeddedChannel bad = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        final byte[] header = v2WithCrc32c("10.1.0.4", azureLinkId(7));
        final byte[] corrupt = flipBit(header, 16, 0);
        for (int i = 0; i < header.length; i++) {
            good.writeInbound(Unpooled.wrappedBuffer(new byte[] {header[i]}));
            bad.writeInbound(Unpooled.wrappedBuffer(new byte[] {corrupt[i]}));
        }
        good.writeInbound(Unpooled.wrappedBuffer(ascii(REQUEST)));
        assertThat(facts(good).caller()).isEqualTo(IpAddress.parse("10.1.0.4"));
        assertThat(forwarded(good)).isEqualTo(REQUEST);
        assertThat(bad.isActive()).isFalse();
        assertThat(forwarded(bad)).isEmpty();
        assertThat(denied(metrics, DenyReason.BAD_PROXY_HEADER)).isEqualTo(1);
    }

    @Test
    void headerNotCompleteWithinTheTimeoutClosesTheConnection() {
        // Still sniffing: a signature prefix.
        final EmbeddedChannel sniffing = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        sniffing.writeInbound(Unpooled.wrappedBuffer(ascii("PROX")));
        // Collecting a v2 header: the whole of its declared length is read before its checksum is checked.
        final EmbeddedChannel collecting = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        final byte[] header = v2("10.1.0.4");
        collecting.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOf(header, header.length - 3)));
        assertThat(collecting.pipeline().get(ProxyProtocolHandler.class)).isNotNull();
        // Handed over: Netty's decoder waits for the end of a v1 line.
        final EmbeddedChannel decoding = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        decoding.writeInbound(Unpooled.wrappedBuffer(ascii("PROXY TCP4 10.1.0.4 127.0.0.1")));
        assertThat(decoding.pipeline().get(HAProxyMessageDecoder.class)).isNotNull();

        for (EmbeddedChannel channel : List.of(sniffing, collecting, decoding)) {
            channel.advanceTimeBy(TIMEOUT.toMillis() - 1, TimeUnit.MILLISECONDS);
            channel.runScheduledPendingTasks();
            assertThat(channel.isActive()).isTrue();
            channel.advanceTimeBy(2, TimeUnit.MILLISECONDS);
            channel.runScheduledPendingTasks();
            assertThat(channel.isActive()).isFalse();
            assertThat(forwarded(channel)).isEmpty();
        }
        assertThat(denied(metrics, DenyReason.BAD_PROXY_HEADER)).isEqualTo(3);
    }

    @Test
    void optionalStartsNoTimerBeforeTheFirstByte() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.OPTIONAL, TRUSTED);
        channel.advanceTimeBy(TIMEOUT.toNanos() * 2, TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void completedHeaderCancelsTheTimer() {
        final EmbeddedChannel channel = connect(ProxyProtocolMode.REQUIRED, TRUSTED);
        channel.writeInbound(Unpooled.wrappedBuffer(v2("10.1.0.4")));
        channel.advanceTimeBy(TIMEOUT.toNanos() * 2, TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isTrue();
        assertThat(denied(metrics, DenyReason.BAD_PROXY_HEADER)).isZero();
    }
}
