package dev.privateupstream.caller;

import static dev.privateupstream.caller.CallerFixtures.callers;
import static dev.privateupstream.caller.CallerFixtures.channel;
import static dev.privateupstream.caller.CallerFixtures.denied;
import static dev.privateupstream.caller.CallerFixtures.listen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.privateupstream.config.ListenConfig.ForwardedHeader;
import dev.privateupstream.config.ListenConfig.ProxyProtocolMode;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.policy.DenyReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing (Jazzer) of the PROXY protocol front of a connection (SPEC §4): the bytes a peer
 * sends, in pieces of a fuzzed size, go into {@link ProxyProtocolHandler} on an {@link EmbeddedChannel}, from
 * a trusted or an untrusted peer, under {@code optional} or {@code required}. Whatever the bytes:
 *
 * <ul>
 *   <li>no exception leaves the pipeline, and every buffer the channel allocated is released;</li>
 *   <li>the connection ends in one of three states: the caller resolved, the PROXY handlers gone and the bytes
 *       after the header passed on intact; closed with nothing passed on and exactly one of
 *       {@code bad-proxy-header} or {@code untrusted-proxy} counted; or still waiting for the rest of a header,
 *       which the header timeout then closes as {@code bad-proxy-header};</li>
 *   <li>the state, the caller, the link id and where the header ends equal those of {@link Oracle}, a reading
 *       of proxy-protocol.txt written here from the bytes. It follows Netty's decoder where the text leaves
 *       room (a v1 line of up to 108 chars, ports 1 to 65535, a trailing TLV of fewer than 4 bytes ignored,
 *       TLVs nested in a {@code PP2_TYPE_SSL} TLV listed after it, a v2 version byte of {@code 0x01} refused
 *       before the declared length arrives) and lets a v1 field Netty may or may not accept (a destination
 *       with leading zeros, a port with {@code +}) go either way.</li>
 * </ul>
 *
 * <p>Input: one byte for the peer and the mode, one for the size of the pieces, one for the shape of the
 * rest: raw bytes as sent (most seeds under {@code ProxyHeaderFuzzTestInputs/} are real headers followed by a
 * request), or a program from which a v2 header (fields, addresses, TLVs, the length right or not) or a v1
 * line (tokens right, nearly right or fuzzed) is built, so the fuzzer gets past the signature and the
 * lengths often. In the default build only the seeds run; {@code JAZZER_FUZZ=1} fuzzes (see the README,
 * "Fuzzing").
 */
class ProxyHeaderFuzzTest {
    private static final String TRUSTED = "127.0.0.5";
    private static final String UNTRUSTED = "127.0.0.6";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final GatewayMetrics METRICS = new GatewayMetrics();
    private static final CallerPolicy OPTIONAL =
            callers(listen(ProxyProtocolMode.OPTIONAL, ForwardedHeader.NONE, false, TRUSTED), METRICS);
    private static final CallerPolicy REQUIRED =
            callers(listen(ProxyProtocolMode.REQUIRED, ForwardedHeader.NONE, false, TRUSTED), METRICS);
    /** Counts what it hands out, so the test can tell that every byte came back. */
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false, true);

    /** Records the caller events that reach the end of the pipeline. */
    private static final class EventRecorder extends ChannelInboundHandlerAdapter {
        final List<Object> events = new ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void headerYieldsACallerOrAClose(byte[] input) {
        if (input.length < 3) {
            return;
        }
        final int setup = input[0] & 7;
        final boolean trusted = setup < 6;
        final boolean required = setup >= 3 && setup != 6;
        final int piece = 1 + (input[1] & 0xff);
        final byte[] stream = stream(input[2], Arrays.copyOfRange(input, 3, input.length));
        run(stream, trusted, required, piece);
    }

    /** The oracle agrees with what the handler's unit tests spell out, so the property above is not vacuous. */
    @Test
    void oracleReadsHeadersAsTheUnitTestsDo() {
        final byte[] request = ProxyHeaders.ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        final byte[] v1 = ProxyHeaders.concat(ProxyHeaders.v1Tcp4("10.1.0.4"), request);
        assertThat(Oracle.expect(v1, true, false).toString())
                .isEqualTo("RESOLVED after 42 bytes, caller 10.1.0.4, link id null");
        final byte[] v2 = ProxyHeaders.concat(ProxyHeaders.v2("10.9.9.9", ProxyHeaders.azureLinkId(0xFFFF_FFFEL)),
                request);
        assertThat(Oracle.expect(v2, true, true).toString())
                .isEqualTo("RESOLVED after 36 bytes, caller 10.9.9.9, link id 4294967294");
        assertThat(Oracle.expect(v2, false, false).toString()).isEqualTo("CLOSED untrusted-proxy");
        assertThat(Oracle.expect(request, true, true).toString()).isEqualTo("CLOSED bad-proxy-header");
        assertThat(Oracle.expect(request, false, false).toString())
                .isEqualTo("RESOLVED after 0 bytes, caller the peer, link id null");
        assertThat(Oracle.expect(Arrays.copyOf(v2, 30), true, false).state).isEqualTo(State.WAITING);
        assertThat(Oracle.expect(ProxyHeaders.ascii("PROX"), true, false).state).isEqualTo(State.WAITING);
        for (String line : new String[] {"PROXY TCP4 010.1.0.4 127.0.0.1 51234 8080", "PROXY GARBAGE",
            "PROXY TCP4 fd00::4 127.0.0.1 51234 8080", "PROXY TCP4  10.1.0.4 127.0.0.1 51234 8080"}) {
            assertThat(Oracle.expect(ProxyHeaders.concat(ProxyHeaders.v1(line), request), true, false).toString())
                    .as(line).isEqualTo("CLOSED bad-proxy-header");
        }
        assertThat(Oracle.expect(ProxyHeaders.concat(ProxyHeaders.v2("10.1.0.4", ProxyHeaders.azureLinkId(1),
                ProxyHeaders.azureLinkId(2)), request), true, false).toString()).isEqualTo("CLOSED bad-proxy-header");
        // And a run against a wrong expectation fails.
        assertThatThrownBy(() -> run(v1, true, false, 7, Oracle.expect(v2, true, false)))
                .isInstanceOf(AssertionError.class);
    }

    private static void run(byte[] stream, boolean trusted, boolean required, int piece) {
        run(stream, trusted, required, piece, Oracle.expect(stream, trusted, required));
    }

    private static void run(byte[] stream, boolean trusted, boolean required, int piece, Expected expected) {
        final String peer = trusted ? TRUSTED : UNTRUSTED;
        final double badBefore = denied(METRICS, DenyReason.BAD_PROXY_HEADER);
        final double untrustedBefore = denied(METRICS, DenyReason.UNTRUSTED_PROXY);
        final long allocatedBefore = allocated();

        final EventRecorder events = new EventRecorder();
        final ChannelHandler handler = (required ? REQUIRED : OPTIONAL).newProxyProtocolHandler(TIMEOUT);
        final EmbeddedChannel channel = channel(peer, handler, events);
        channel.config().setAllocator(ALLOC);
        channel.freezeTime(); // the header timeout moves only when the test says so
        final ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
        try {
            for (int off = 0; off < stream.length && channel.isOpen(); off += piece) {
                final int n = Math.min(piece, stream.length - off);
                final ByteBuf buf = ALLOC.heapBuffer(n).writeBytes(stream, off, n);
                try {
                    channel.writeInbound(buf);
                } catch (RuntimeException e) {
                    throw new AssertionError("an exception left the pipeline: " + e, e);
                }
                drain(channel, forwarded);
            }
            final String context = describe(stream, trusted, required, piece, expected);
            check(channel, events, forwarded.toByteArray(), expected, peer, required, badBefore, untrustedBefore,
                    context);
        } finally {
            drain(channel, forwarded);
            channel.finishAndReleaseAll();
        }
        final long leaked = allocated() - allocatedBefore;
        if (leaked != 0) {
            throw new AssertionError(leaked + " bytes never released; "
                    + describe(stream, trusted, required, piece, expected));
        }
    }

    private static void check(EmbeddedChannel channel, EventRecorder events, byte[] forwarded, Expected expected,
            String peer, boolean required, double badBefore, double untrustedBefore, String context) {
        final boolean handlersGone = channel.pipeline().get(ProxyProtocolHandler.class) == null
                && channel.pipeline().get(HAProxyMessageDecoder.class) == null
                && channel.pipeline().get(ProxyHeaderHandler.class) == null;
        final double bad = denied(METRICS, DenyReason.BAD_PROXY_HEADER) - badBefore;
        final double untrusted = denied(METRICS, DenyReason.UNTRUSTED_PROXY) - untrustedBefore;
        final ConnectionFacts facts = ConnectionFacts.of(channel);
        final State state;
        if (!channel.isActive()) {
            state = State.CLOSED;
        } else if (handlersGone) {
            state = State.RESOLVED;
        } else {
            state = State.WAITING;
        }
        if (!expected.allows(state)) {
            throw new AssertionError("ended " + state + ", expected " + expected + "; " + context);
        }
        switch (state) {
            case RESOLVED -> {
                final IpAddress caller = expected.caller != null ? expected.caller : IpAddress.parse(peer);
                if (!caller.equals(facts.caller())) {
                    throw new AssertionError("caller " + facts.caller() + ", expected " + caller + "; " + context);
                }
                if (!Objects.equals(expected.linkId, facts.linkId())) {
                    throw new AssertionError("link id " + facts.linkId() + ", expected " + expected.linkId + "; "
                            + context);
                }
                final byte[] rest = Arrays.copyOfRange(expected.stream, expected.headerLength, expected.stream.length);
                if (!Arrays.equals(rest, forwarded)) {
                    throw new AssertionError("passed on " + hex(forwarded) + ", expected " + hex(rest) + "; "
                            + context);
                }
                if (bad != 0 || untrusted != 0) {
                    throw new AssertionError("counted a denial for a resolved caller; " + context);
                }
                checkEvents(events, expected, facts, peer, context);
            }
            case CLOSED -> {
                if (forwarded.length != 0) {
                    throw new AssertionError("a closed connection passed on " + hex(forwarded) + "; " + context);
                }
                if (!facts.caller().equals(IpAddress.parse(peer))) {
                    throw new AssertionError("a closed connection took the caller " + facts.caller() + "; " + context);
                }
                final DenyReason reason = expected.reason;
                if (reason == DenyReason.UNTRUSTED_PROXY ? untrusted != 1 || bad != 0 : bad != 1 || untrusted != 0) {
                    throw new AssertionError("closed with bad-proxy-header " + bad + " and untrusted-proxy "
                            + untrusted + " counted, expected one " + reason.wireText() + "; " + context);
                }
                if (!events.events.isEmpty()) {
                    throw new AssertionError("a closed connection resolved a caller " + events.events + "; " + context);
                }
            }
            case WAITING -> {
                if (forwarded.length != 0 || bad != 0 || untrusted != 0 || !events.events.isEmpty()) {
                    throw new AssertionError("waiting, yet passed on " + hex(forwarded) + " or counted or resolved; "
                            + context);
                }
                channel.advanceTimeBy(TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
                channel.runScheduledPendingTasks();
                final boolean timerExpected = expected.stream.length > 0 || required;
                if (timerExpected == channel.isActive()
                        || denied(METRICS, DenyReason.BAD_PROXY_HEADER) - badBefore != (timerExpected ? 1 : 0)) {
                    throw new AssertionError("after the header timeout: active " + channel.isActive() + "; " + context);
                }
            }
            default -> throw new IllegalStateException(state.toString());
        }
    }

    /** Who resolved the caller: the header's source, the proxy itself, or nobody (no header, untrusted peer). */
    private static void checkEvents(EventRecorder events, Expected expected, ConnectionFacts facts, String peer,
            String context) {
        final List<Object> want;
        if (expected.headerLength == 0) {
            want = peer.equals(TRUSTED) ? List.of(CallerResolvedEvent.PROXY_ITSELF) : List.of();
        } else {
            want = List.of(expected.caller != null ? CallerResolvedEvent.PROXIED_CLIENT
                    : CallerResolvedEvent.PROXY_ITSELF);
        }
        if (!events.events.equals(want)) {
            throw new AssertionError("events " + events.events + ", expected " + want + " (caller "
                    + facts.caller() + "); " + context);
        }
    }

    private static void drain(EmbeddedChannel channel, ByteArrayOutputStream forwarded) {
        Object msg;
        while ((msg = channel.readInbound()) != null) {
            try {
                if (!(msg instanceof ByteBuf buf)) {
                    throw new AssertionError("passed on something other than bytes: " + msg);
                }
                final byte[] bytes = new byte[buf.readableBytes()];
                buf.getBytes(buf.readerIndex(), bytes);
                forwarded.writeBytes(bytes);
            } finally {
                ReferenceCountUtil.release(msg); // the test is the end of the pipeline
            }
        }
    }

    private static long allocated() {
        return ALLOC.metric().usedHeapMemory() + ALLOC.metric().usedDirectMemory();
    }

    private static String describe(byte[] stream, boolean trusted, boolean required, int piece, Expected expected) {
        return (trusted ? "trusted" : "untrusted") + " peer, " + (required ? "required" : "optional") + ", pieces of "
                + piece + ", expected " + expected + ", bytes " + hex(stream);
    }

    private static String hex(byte[] bytes) {
        final String all = HexFormat.of().formatHex(bytes);
        return all.length() > 600 ? all.substring(0, 600) + "…(" + bytes.length + " bytes)" : all;
    }

    // ---- building the bytes ------------------------------------------------------------------------------------

    /** The bytes sent: {@code program} as it is, or a v2 header or v1 line built from it and what follows. */
    static byte[] stream(byte shape, byte[] program) {
        return switch ((shape & 0xff) % 3) {
            case 1 -> new Builder(program).v2();
            case 2 -> new Builder(program).v1();
            default -> program;
        };
    }

    /** Reads a program from the front; once it runs out, every read is 0. */
    static final class Builder {
        private static final int[] FAMILIES = {0x11, 0x21, 0x12, 0x22, 0x00, 0x31, 0x32};
        private static final String[] PROTOCOLS = {"TCP4", "TCP6", "UNKNOWN", "TCP4", "TCP6", "UDP4", "tcp4"};

        private final byte[] program;
        private int at;

        Builder(byte[] program) {
            this.program = program;
        }

        int u8() {
            return at < program.length ? program[at++] & 0xff : 0;
        }

        byte[] bytes(int n) {
            final byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                out[i] = (byte) u8();
            }
            return out;
        }

        byte[] rest() {
            final byte[] out = at < program.length ? Arrays.copyOfRange(program, at, program.length) : new byte[0];
            at = program.length;
            return out;
        }

        /** A v2 header: version and command, family, addresses, TLVs, a length right or not; then the rest. */
        byte[] v2() {
            final int verCmd = u8();
            final int versionCommand = verCmd < 200 ? ((verCmd & 1) == 0 ? 0x21 : 0x20) : verCmd;
            final int fam = u8();
            final int family = fam < 224 ? FAMILIES[fam % FAMILIES.length] : fam;
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            final int addressBytes = switch (family >> 4) {
                case 1 -> 12;
                case 2 -> 36;
                case 3 -> 216;
                default -> 0;
            };
            body.writeBytes(bytes(addressBytes));
            final int tlvs = u8() % 5;
            for (int i = 0; i < tlvs; i++) {
                body.writeBytes(tlv(0));
            }
            final int lengthChoice = u8();
            final int length = lengthChoice < 230 ? body.size() : (lengthChoice << 8 | u8()) & 0xffff;
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(ProxyHeaders.V2_SIGNATURE);
            out.write(versionCommand);
            out.write(family);
            out.write(length >>> 8);
            out.write(length);
            out.writeBytes(body.toByteArray());
            out.writeBytes(rest());
            return out.toByteArray();
        }

        private byte[] tlv(int depth) {
            switch (u8() % 7) {
                case 0, 1: // Azure's link id, as Azure sends it
                    return ProxyHeaders.tlv(0xEE, concat(new byte[] {1}, bytes(4)));
                case 2: // subtype 0x01 of another length
                    return ProxyHeaders.tlv(0xEE, concat(new byte[] {1}, bytes(u8() % 8)));
                case 3: // another Azure subtype
                    return ProxyHeaders.tlv(0xEE, bytes(u8() % 8));
                case 4: { // PP2_TYPE_SSL: client, verify, sub-TLVs
                    final ByteArrayOutputStream ssl = new ByteArrayOutputStream();
                    ssl.writeBytes(bytes(5));
                    final int inner = depth < 2 ? u8() % 3 : 0;
                    for (int i = 0; i < inner; i++) {
                        ssl.writeBytes(tlv(depth + 1));
                    }
                    return ProxyHeaders.tlv(0x20, ssl.toByteArray());
                }
                case 5: // any type, any content
                    return ProxyHeaders.tlv(u8(), bytes(u8() % 16));
                default: // bytes that need not be a TLV at all
                    return bytes(u8() % 8);
            }
        }

        /** A v1 line of tokens right, nearly right or fuzzed, separators and end right or not; then the rest. */
        byte[] v1() {
            final StringBuilder line = new StringBuilder("PROXY");
            final int protocol = u8();
            line.append(separator()).append(protocol < 240 ? PROTOCOLS[protocol % PROTOCOLS.length] : token());
            final boolean v6 = line.indexOf("6") >= 0;
            for (int i = 0; i < 2; i++) {
                line.append(separator()).append(address(v6));
            }
            for (int i = 0; i < 2; i++) {
                line.append(separator()).append(port());
            }
            final int end = u8();
            if (end >= 250) {
                line.append(' ');
            }
            line.append(end % 10 == 9 ? "\n" : end % 10 == 8 ? "" : "\r\n");
            return concat(line.toString().getBytes(StandardCharsets.ISO_8859_1), rest());
        }

        private String separator() {
            final int s = u8();
            return s < 245 ? " " : s < 250 ? "  " : s < 253 ? "\t" : "";
        }

        private String address(boolean v6) {
            final int kind = u8();
            switch (kind % 8) {
                case 0, 1: {
                    final byte[] b = bytes(4);
                    return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
                }
                case 2: { // leading zeros, which other parsers read as octal
                    final byte[] b = bytes(4);
                    return String.format("%03d.%d.%d.%d", b[0] & 0xff, b[1] & 0xff, b[2] & 0xff, b[3] & 0xff);
                }
                case 3, 4:
                    return IpAddress.ofBytes(bytes(16)).canonical();
                case 5: { // every group written out, upper case
                    final byte[] b = bytes(16);
                    final StringBuilder text = new StringBuilder();
                    for (int i = 0; i < 16; i += 2) {
                        text.append(i == 0 ? "" : ":")
                                .append(String.format("%04X", (b[i] & 0xff) << 8 | b[i + 1] & 0xff));
                    }
                    return text.toString();
                }
                case 6: {
                    final byte[] b = bytes(4);
                    return "::ffff:" + (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
                }
                default:
                    return v6 && kind < 128 ? "::1" : token();
            }
        }

        private String port() {
            final int kind = u8();
            final int value = u8() << 8 | u8();
            return switch (kind % 6) {
                case 0, 1, 2 -> Integer.toString(value);
                case 3 -> "+" + value;
                case 4 -> "0" + value;
                default -> token();
            };
        }

        /** Up to 15 bytes read as ISO-8859-1 chars, spaces and line ends included. */
        private String token() {
            return new String(bytes(u8() % 16), StandardCharsets.ISO_8859_1);
        }

        private static byte[] concat(byte[] a, byte[] b) {
            final byte[] out = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
        }
    }

    // ---- what should happen ------------------------------------------------------------------------------------

    enum State { RESOLVED, CLOSED, WAITING }

    /** What the oracle expects of a stream. */
    static final class Expected {
        final byte[] stream;
        final State state;
        /** Also acceptable: closed as {@code bad-proxy-header} (a v1 field Netty may or may not take). */
        final boolean mayClose;
        /** Why a closed connection was closed. */
        final DenyReason reason;
        /** Once resolved: the header's length (0 for none), its caller ({@code null}: the peer), the link id. */
        final int headerLength;
        final IpAddress caller;
        final LinkId linkId;

        private Expected(byte[] stream, State state, boolean mayClose, DenyReason reason, int headerLength,
                IpAddress caller, LinkId linkId) {
            this.stream = stream;
            this.state = state;
            this.mayClose = mayClose;
            this.reason = reason;
            this.headerLength = headerLength;
            this.caller = caller;
            this.linkId = linkId;
        }

        static Expected resolved(byte[] stream, int headerLength, IpAddress caller, LinkId linkId) {
            return new Expected(stream, State.RESOLVED, false, DenyReason.BAD_PROXY_HEADER, headerLength, caller,
                    linkId);
        }

        static Expected closed(byte[] stream, DenyReason reason) {
            return new Expected(stream, State.CLOSED, false, reason, 0, null, null);
        }

        static Expected waiting(byte[] stream) {
            return new Expected(stream, State.WAITING, false, DenyReason.BAD_PROXY_HEADER, 0, null, null);
        }

        /** The same, or closed as {@code bad-proxy-header}. */
        Expected orClosed() {
            return new Expected(stream, state, true, DenyReason.BAD_PROXY_HEADER, headerLength, caller, linkId);
        }

        boolean allows(State actual) {
            return actual == state || actual == State.CLOSED && mayClose;
        }

        @Override
        public String toString() {
            return state + (mayClose ? " or CLOSED" : "")
                    + (state == State.CLOSED || mayClose ? " " + reason.wireText() : "")
                    + (state == State.RESOLVED ? " after " + headerLength + " bytes, caller "
                    + (caller == null ? "the peer" : caller) + ", link id " + linkId : "");
        }
    }

    /** proxy-protocol.txt, read from the bytes with no help from Netty's decoder or {@link ProxyHeader}. */
    static final class Oracle {
        static final byte[] V1_SIGNATURE = "PROXY ".getBytes(StandardCharsets.US_ASCII);
        static final int MAX_V2 = 4096;
        /** Netty's longest v1 line, without its CRLF (the text's is 107 bytes with it). */
        static final int MAX_V1_LINE = 108;

        private Oracle() {
        }

        static Expected expect(byte[] s, boolean trusted, boolean required) {
            if (required && !trusted) {
                return Expected.closed(s, DenyReason.UNTRUSTED_PROXY);
            }
            final int v2 = match(s, ProxyHeaders.V2_SIGNATURE);
            final int v1 = match(s, V1_SIGNATURE);
            if (v2 < 0 && v1 < 0) { // not a PROXY header
                return required ? Expected.closed(s, DenyReason.BAD_PROXY_HEADER)
                        : Expected.resolved(s, 0, null, null);
            }
            if (v2 <= 0 && v1 <= 0) {
                return Expected.waiting(s); // a prefix of a signature, or nothing yet
            }
            if (!trusted) {
                return Expected.closed(s, DenyReason.UNTRUSTED_PROXY);
            }
            return v2 > 0 ? v2(s) : v1(s);
        }

        /** 1 when {@code s} starts with the signature, 0 when it is a prefix of it, -1 otherwise. */
        private static int match(byte[] s, byte[] signature) {
            final int n = Math.min(s.length, signature.length);
            for (int i = 0; i < n; i++) {
                if (s[i] != signature[i]) {
                    return -1;
                }
            }
            return n == signature.length ? 1 : 0;
        }

        // -- v2 --

        private static Expected v2(byte[] s) {
            if (s.length < 16) {
                return Expected.waiting(s);
            }
            final int length = (s[14] & 0xff) << 8 | s[15] & 0xff;
            final int end = 16 + length;
            if (end > MAX_V2) {
                return Expected.closed(s, DenyReason.BAD_PROXY_HEADER);
            }
            if (s[12] == 0x01) {
                // Netty takes the 13th byte for the version and a 1 for v1 text, whose CRLF then comes first: an
                // invalid header, refused before its declared length arrives.
                return bad(s);
            }
            if (s.length < end) {
                return Expected.waiting(s);
            }
            final int version = (s[12] & 0xff) >> 4;
            final int command = s[12] & 0x0f;
            if (version != 2 || command > 1) {
                return bad(s);
            }
            if (command == 0) { // LOCAL: the proxy speaks for itself; the rest of the header is ignored
                return Expected.resolved(s, end, null, null);
            }
            final int family = s[13] & 0xff;
            final int addresses;
            switch (family) {
                case 0x00: // UNSPEC: the real endpoints, and nothing else in the header counts
                    return Expected.resolved(s, end, null, null);
                case 0x11, 0x12:
                    addresses = 12;
                    break;
                case 0x21, 0x22:
                    addresses = 36;
                    break;
                case 0x31, 0x32:
                    addresses = 216;
                    break;
                default:
                    return bad(s);
            }
            if (length < addresses) {
                return bad(s);
            }
            final IpAddress source = switch (family >> 4) {
                case 1 -> IpAddress.ofBytes(Arrays.copyOfRange(s, 16, 20));
                case 2 -> IpAddress.ofBytes(Arrays.copyOfRange(s, 16, 32));
                default -> null; // AF_UNIX: no IP source
            };
            final List<byte[][]> tlvs = new ArrayList<>();
            if (!tlvs(s, 16 + addresses, end, 0, tlvs)) {
                return bad(s);
            }
            LinkId link = null;
            for (byte[][] tlv : tlvs) {
                final byte[] value = tlv[1];
                if ((tlv[0][0] & 0xff) != 0xEE || value.length == 0 || value[0] != 0x01) {
                    continue;
                }
                if (value.length != 5) {
                    return bad(s);
                }
                final LinkId id = new LinkId((value[1] & 0xffL) | (value[2] & 0xffL) << 8 | (value[3] & 0xffL) << 16
                        | (value[4] & 0xffL) << 24);
                if (link != null && !link.equals(id)) {
                    return bad(s);
                }
                link = id;
            }
            return Expected.resolved(s, end, source, link);
        }

        /**
         * The TLVs in {@code s[from, to)} as {type, value}, into {@code out}; false when malformed. Fewer than 4
         * bytes left end the list (a TLV of no value at the very end is dropped). A {@code PP2_TYPE_SSL} TLV
         * (0x20) holds a client byte, a 32-bit verify field and sub-TLVs, listed right after it, one level deep.
         */
        private static boolean tlvs(byte[] s, int from, int to, int depth, List<byte[][]> out) {
            int at = from;
            while (to - at >= 4) {
                final int type = s[at] & 0xff;
                final int length = (s[at + 1] & 0xff) << 8 | s[at + 2] & 0xff;
                at += 3;
                if (length > to - at || type == 0x20 && length < 5) {
                    return false;
                }
                out.add(new byte[][] {{(byte) type}, Arrays.copyOfRange(s, at, at + length)});
                if (type == 0x20) {
                    final List<byte[][]> inner = new ArrayList<>();
                    if (!tlvs(s, at + 5, at + length, depth + 1, inner)) {
                        return false;
                    }
                    if (depth == 0) {
                        out.addAll(inner);
                    }
                }
                at += length;
            }
            return true;
        }

        private static Expected bad(byte[] s) {
            return Expected.closed(s, DenyReason.BAD_PROXY_HEADER);
        }

        // -- v1 --

        private static Expected v1(byte[] s) {
            int cr = -1;
            for (int i = 0; i + 1 < s.length; i++) {
                if (s[i] == '\r' && s[i + 1] == '\n') {
                    cr = i;
                    break;
                }
            }
            if (cr < 0) {
                return s.length > MAX_V1_LINE ? bad(s) : Expected.waiting(s);
            }
            if (cr > MAX_V1_LINE) {
                return bad(s);
            }
            if (s.length < 13) {
                return Expected.waiting(s); // Netty reads a version byte at offset 12 first
            }
            final Expected verdict = line(s, new String(s, 0, cr, StandardCharsets.US_ASCII), cr + 2);
            // A line of exactly 108 chars fails when its LF arrives in a piece after its CR.
            return cr == MAX_V1_LINE ? verdict.orClosed() : verdict;
        }

        private static Expected line(byte[] s, String line, int end) {
            final List<String> parts = new ArrayList<>(Arrays.asList(line.split(" ", -1)));
            while (!parts.isEmpty() && parts.get(parts.size() - 1).isEmpty()) {
                parts.remove(parts.size() - 1); // as String.split(" ") drops them
            }
            if (parts.size() < 2) {
                return bad(s);
            }
            if (parts.get(1).equals("UNKNOWN")) {
                return Expected.resolved(s, end, null, null);
            }
            final boolean v4 = parts.get(1).equals("TCP4");
            if (!v4 && !parts.get(1).equals("TCP6") || parts.size() != 6) {
                return bad(s);
            }
            final byte[] source = v4 ? V4Text.parse(parts.get(2)) : V6Text.parse(parts.get(2));
            if (source == null) {
                return bad(s); // we take a source only in the form IpAddress reads without doubt
            }
            final IpAddress caller = IpAddress.ofBytes(source);
            Certainty all = Certainty.YES;
            all = all.and(v4 ? V4Text.plausible(parts.get(3)) : V6Text.plausible(parts.get(3)));
            all = all.and(port(parts.get(4))).and(port(parts.get(5)));
            return switch (all) {
                case YES -> Expected.resolved(s, end, caller, null);
                case MAYBE -> Expected.resolved(s, end, caller, null).orClosed();
                default -> bad(s);
            };
        }

        /** A decimal port from 1 to 65535; with a {@code +} sign Netty takes it and the text does not. */
        private static Certainty port(String text) {
            final boolean plus = text.startsWith("+");
            final String digits = plus ? text.substring(1) : text;
            if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return Certainty.NO;
            }
            final int value = Integer.parseInt(digits);
            if (value < 1 || value > 65535) {
                return Certainty.NO;
            }
            return plus ? Certainty.MAYBE : Certainty.YES;
        }
    }

    enum Certainty {
        YES, MAYBE, NO;

        Certainty and(Certainty other) {
            return values()[Math.max(ordinal(), other.ordinal())];
        }
    }

    /** Dotted-quad IPv4 text, each part 0 to 255 in decimal without leading zeros. */
    static final class V4Text {
        private V4Text() {
        }

        static byte[] parse(String text) {
            final String[] parts = text.split("\\.", -1);
            if (parts.length != 4) {
                return null;
            }
            final byte[] out = new byte[4];
            for (int i = 0; i < 4; i++) {
                final String p = parts[i];
                if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                        || p.length() > 1 && p.charAt(0) == '0' || Integer.parseInt(p) > 255) {
                    return null;
                }
                out[i] = (byte) Integer.parseInt(p);
            }
            return out;
        }

        /** Valid; digits and dots that some reader may take (leading zeros); or anything else. */
        static Certainty plausible(String text) {
            if (parse(text) != null) {
                return Certainty.YES;
            }
            return text.chars().allMatch(c -> c >= '0' && c <= '9' || c == '.') ? Certainty.MAYBE : Certainty.NO;
        }
    }

    /** IPv6 text (RFC 4291 2.2): eight groups of 1 to 4 hex digits, one {@code ::} at most, an IPv4 tail. */
    static final class V6Text {
        private V6Text() {
        }

        static byte[] parse(String text) {
            if (text.isEmpty() || text.length() > 45) {
                return null;
            }
            final int gap = text.indexOf("::");
            if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
                return null;
            }
            final List<Integer> head = new ArrayList<>();
            final List<Integer> tail = new ArrayList<>();
            if (gap < 0) {
                if (!groups(text, head, true)) {
                    return null;
                }
            } else if (!groups(text.substring(0, gap), head, false) || !groups(text.substring(gap + 2), tail, true)) {
                return null;
            }
            final int count = head.size() + tail.size();
            if (gap < 0 ? count != 8 : count > 7) {
                return null;
            }
            final byte[] out = new byte[16];
            for (int i = 0; i < head.size(); i++) {
                out[2 * i] = (byte) (head.get(i) >> 8);
                out[2 * i + 1] = (byte) (int) head.get(i);
            }
            for (int i = 0; i < tail.size(); i++) {
                final int g = 8 - tail.size() + i;
                out[2 * g] = (byte) (tail.get(i) >> 8);
                out[2 * g + 1] = (byte) (int) tail.get(i);
            }
            return out;
        }

        /** Groups separated by single colons; an IPv4 tail (two groups) allowed last when {@code last}. */
        private static boolean groups(String text, List<Integer> out, boolean last) {
            if (text.isEmpty()) {
                return true;
            }
            final String[] parts = text.split(":", -1);
            for (int i = 0; i < parts.length; i++) {
                final String p = parts[i];
                if (last && i == parts.length - 1 && p.indexOf('.') >= 0) {
                    final byte[] v4 = V4Text.parse(p);
                    if (v4 == null) {
                        return false;
                    }
                    out.add((v4[0] & 0xff) << 8 | v4[1] & 0xff);
                    out.add((v4[2] & 0xff) << 8 | v4[3] & 0xff);
                    continue;
                }
                if (p.isEmpty() || p.length() > 4 || !p.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128)) {
                    return false;
                }
                out.add(Integer.parseInt(p, 16));
            }
            return true;
        }

        /** Valid, or something some reader may take (zone ids, brackets, other forms). */
        static Certainty plausible(String text) {
            return parse(text) != null ? Certainty.YES : Certainty.MAYBE;
        }
    }
}
