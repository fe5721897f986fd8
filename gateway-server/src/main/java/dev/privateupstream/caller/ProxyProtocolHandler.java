package dev.privateupstream.caller;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.ListenConfig.ProxyProtocolMode;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.DenyReason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front of a connection under {@code listen.proxyProtocol: optional | required} (SPEC §4): peeks at
 * the first bytes for the PROXY v1 ({@code "PROXY "}) or v2 (12-byte) signature and decides once.
 *
 * <ul>
 *   <li>A header from a trusted peer: replaces itself with Netty's {@link HAProxyMessageDecoder} and a
 *       {@link ProxyHeaderHandler} that takes the source and the Azure link id from it.</li>
 *   <li>A header from an untrusted peer: closed, {@code untrusted-proxy}. Under {@code required}, an
 *       untrusted peer is closed as soon as it connects, before anything is read.</li>
 *   <li>No header: under {@code optional} the caller is the TCP peer and the bytes go on to HTTP; under
 *       {@code required}, closed, {@code bad-proxy-header}.</li>
 *   <li>A v2 header declaring more than {@value #MAX_V2_HEADER_BYTES} bytes: closed at once,
 *       {@code bad-proxy-header}, rather than buffered.</li>
 *   <li>A v2 header is read whole before the hand-over, so that its {@code PP2_TYPE_CRC32C} TLV, when it
 *       carries one, can be checked over the bytes as received ({@link ProxyV2Checksum}): a checksum that
 *       does not match closes the connection, {@code bad-proxy-header}.</li>
 * </ul>
 *
 * <p>A header must be complete within {@code limits.headerTimeout} (counted from the connection under
 * {@code required}, from its first byte under {@code optional}), or the connection is closed as
 * {@code bad-proxy-header}: a peer that stops halfway cannot hold a connection. A closed connection has
 * forwarded nothing. A peer that hangs up halfway through a header is not counted: the gateway closed
 * nothing.
 *
 * <p>Increments {@code gateway_denied_total{reason="untrusted-proxy"}} and
 * {@code gateway_denied_total{reason="bad-proxy-header"}}.
 */
final class ProxyProtocolHandler extends ByteToMessageDecoder {
    private static final Logger logger = LoggerFactory.getLogger(ProxyProtocolHandler.class);

    /**
     * The largest v2 header accepted: its 16 fixed bytes, the addresses and the TLVs. Far above what
     * HAProxy, AWS or Azure send (Azure's link id adds 8 bytes), and small enough that a peer cannot make
     * the gateway buffer 64 KiB per connection before anything is decided.
     */
    static final int MAX_V2_HEADER_BYTES = 4096;

    private static final byte[] V1_SIGNATURE = {'P', 'R', 'O', 'X', 'Y', ' '};
    private static final byte[] V2_SIGNATURE = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
    };
    /** Signature, version and command, family, and the two-byte length that follows. */
    private static final int V2_FIXED_BYTES = 16;

    /** What the bytes received so far say. */
    enum Sniff {
        /** Every byte so far is a prefix of a signature. */
        NEED_MORE,
        /** Not a PROXY header. */
        NONE,
        V1,
        V2
    }

    private final CallerPolicy policy;
    private final GatewayMetrics metrics;
    private final long headerTimeoutNanos;
    private boolean trusted;
    private boolean refused;
    private ScheduledFuture<?> deadline;

    ProxyProtocolHandler(CallerPolicy policy, GatewayMetrics metrics, long headerTimeoutNanos) {
        this.policy = requireNonNull(policy, "policy");
        this.metrics = requireNonNull(metrics, "metrics");
        this.headerTimeoutNanos = headerTimeoutNanos;
        // Netty's decoder merges reads by copying into one buffer: right for a header of a few bytes.
        setCumulator(MERGE_CUMULATOR);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        trusted = policy.trusted(ConnectionFacts.of(ctx.channel()).peerAddress());
        if (policy.proxyProtocol() == ProxyProtocolMode.REQUIRED) {
            if (!trusted) {
                // SPEC §4: under required, connecting at all from an untrusted peer is refused. Not passing
                // channelActive on means nobody behind asks for the first read.
                metrics.denied(DenyReason.UNTRUSTED_PROXY);
                refused = true;
                ctx.close();
                return;
            }
            startDeadline(ctx);
        }
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes()); // the connection is closing: drop what is still arriving
            return;
        }
        if (!in.isReadable()) {
            return;
        }
        startDeadline(ctx);
        switch (sniff(in)) {
            case NEED_MORE:
                return; // ByteToMessageDecoder reads again: AUTO_READ is off and nothing went on
            case NONE:
                if (policy.proxyProtocol() == ProxyProtocolMode.REQUIRED) {
                    refuse(ctx, in, DenyReason.BAD_PROXY_HEADER);
                    return;
                }
                // No header: the TCP peer is the caller, and these bytes are the first request.
                cancelDeadline();
                if (trusted) {
                    ctx.fireUserEventTriggered(CallerResolvedEvent.PROXY_ITSELF);
                }
                ctx.pipeline().remove(this); // passes the bytes read so far on
                return;
            case V2:
                if (!trusted) {
                    refuse(ctx, in, DenyReason.UNTRUSTED_PROXY);
                    return;
                }
                if (in.readableBytes() < V2_FIXED_BYTES) {
                    return;
                }
                // The length first: past the bound Netty's decoder would go on discarding what the header
                // claims instead of closing, whatever its version byte (ProxyHeaderFuzzTest).
                final int headerBytes = V2_FIXED_BYTES + in.getUnsignedShort(in.readerIndex() + 14);
                if (headerBytes > MAX_V2_HEADER_BYTES) {
                    refuse(ctx, in, DenyReason.BAD_PROXY_HEADER);
                    return;
                }
                final int versionAndCommand = in.getUnsignedByte(in.readerIndex() + 12);
                if ((versionAndCommand & 0xF0) != 0x20 || (versionAndCommand & 0x0F) > 1) {
                    // Not version 2, or no LOCAL/PROXY command: Netty's decoder refuses it at once, as it
                    // always did, rather than after waiting for the length it claims (ProxyHeaderFuzzTest).
                    handOver(ctx);
                    return;
                }
                if (in.readableBytes() < headerBytes) {
                    return; // the checksum covers the whole header: wait for all of it (bounded just above)
                }
                final String problem = ProxyV2Checksum.problem(in, in.readerIndex());
                if (problem != null) {
                    logger.debug("bad PROXY header from {}: {}", ctx.channel().remoteAddress(), problem);
                    refuse(ctx, in, DenyReason.BAD_PROXY_HEADER);
                    return;
                }
                handOver(ctx);
                return;
            case V1:
                if (!trusted) {
                    refuse(ctx, in, DenyReason.UNTRUSTED_PROXY);
                    return;
                }
                handOver(ctx);
                return;
            default:
                throw new IllegalStateException("sniff: " + sniff(in));
        }
    }

    /** Whether the readable bytes start a PROXY header; never consumes anything. */
    static Sniff sniff(ByteBuf in) {
        final int v2 = match(in, V2_SIGNATURE);
        if (v2 > 0) {
            return Sniff.V2;
        }
        final int v1 = match(in, V1_SIGNATURE);
        if (v1 > 0) {
            return Sniff.V1;
        }
        return v1 == 0 || v2 == 0 ? Sniff.NEED_MORE : Sniff.NONE;
    }

    /** {@code 1} when the bytes start with the signature, {@code 0} when they are a prefix of it, else {@code -1}. */
    private static int match(ByteBuf in, byte[] signature) {
        final int n = Math.min(in.readableBytes(), signature.length);
        final int start = in.readerIndex();
        for (int i = 0; i < n; i++) {
            if (in.getByte(start + i) != signature[i]) {
                return -1;
            }
        }
        return n == signature.length ? 1 : 0;
    }

    /**
     * A trusted peer sent a header (a v2 one whole, its checksum checked): Netty's decoder parses it and {@link ProxyHeaderHandler} takes the facts
     * and the deadline. Removing this handler passes the bytes buffered so far to the decoder.
     */
    private void handOver(ChannelHandlerContext ctx) {
        final ChannelPipeline p = ctx.pipeline();
        p.addAfter(ctx.name(), "proxy-header", new ProxyHeaderHandler(metrics, deadline));
        // Netty's decoder sizes its limit as TLV bytes beyond the 216-byte address block; the check above
        // is the authority, this one only sits above it.
        p.addAfter(ctx.name(), "proxy-decoder", new HAProxyMessageDecoder(MAX_V2_HEADER_BYTES));
        deadline = null; // the header handler owns it now
        p.remove(this);
    }

    private void refuse(ChannelHandlerContext ctx, ByteBuf in, DenyReason reason) {
        refused = true;
        cancelDeadline();
        in.skipBytes(in.readableBytes());
        metrics.denied(reason);
        ctx.close();
    }

    private void startDeadline(ChannelHandlerContext ctx) {
        if (deadline == null && !refused) {
            // Closes the channel, not this context: after a hand-over the timer outlives this handler.
            final Channel channel = ctx.channel();
            deadline = ctx.executor().schedule(() -> {
                if (channel.isActive()) {
                    refused = true;
                    metrics.denied(DenyReason.BAD_PROXY_HEADER);
                    channel.close();
                }
            }, headerTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        cancelDeadline();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelDeadline();
        super.channelInactive(ctx);
    }
}
