package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.metrics.GatewayMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.channel.unix.UnixChannel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a client connection whose response cannot be written for {@code limits.sendTimeout} (SPEC §4): a
 * client that sends requests but does not read the answers must not hold a connection, a backend connection
 * and their buffers forever.
 *
 * <p>"Cannot be written" starts with the channel turning unwritable: more than the write buffer's high-water
 * mark (64 KiB, set on the listener) waits in the gateway because the client's socket is full. The relay stops
 * reading from the backend at that point (backpressure), so without this timer such an exchange would stall
 * for good. The clock stops when the connection drains below the low-water mark (32 KiB). Writability alone
 * would misjudge a slow reader, though (see {@link #sinceClientTookData}): when the connection has been
 * unwritable for the whole timeout, the connection is closed only if the kernel has also sent the client
 * nothing for that long. So a client that reads slowly but steadily is never cut off, however long its whole
 * response takes; one that takes nothing for the whole timeout is. Less than the high-water mark stuck behind
 * a full socket does not count: it is bounded, and {@code limits.idleTimeout} ends such a connection, since
 * its exchange is over once its last part is handed to the channel.
 *
 * <p>The hot path pays nothing: this handler sees only writability changes and the close (Netty skips it
 * for reads and writes), and a client that keeps up never makes the connection unwritable for long. Like the
 * other timers of the pipeline it is armed lazily: a stall arms it unless it is already armed, and it is not
 * cancelled when the connection becomes writable again; when it fires it acts only on a stall that has lasted
 * the whole timeout, else arms itself for the time left, or leaves the next stall to arm it. A slow reader then
 * costs about one scheduled task (and one {@code getsockopt}) per timeout, not one per stall.
 *
 * <p>On timeout the exchange is marked aborted ({@code send-timeout} in the access log), and the connection is
 * closed with a reset (SO_LINGER 0) from the head of the pipeline, past TLS: the client reads nothing, so a
 * close_notify or a FIN would only queue behind the unsent data, and the kernel would keep the closed socket
 * and its full send buffer alive while it probes a zero window. Closing the connection ends the exchange as
 * any client abort does: the relay closes the backend connection and the pending writes are released. An
 * exchange whose response head went out still counts in {@code gateway_requests_total} with its status, as one
 * a backend cuts short does.
 *
 * <p>A client that pipelines requests and never reads holds no more: the decoder takes one request at a time
 * and decodes the next only once the response is written, with at most one read (64 KiB) of what follows
 * buffered meanwhile. What the gateway holds for such a client is that read, one response's data in flight
 * (the high-water mark plus one backend read of at most 64 KiB) and the kernel's socket buffers, until this
 * timer closes the connection; the second request is never decoded.
 *
 * <p>Increments {@code gateway_send_timeouts_total}.
 */
final class SendTimeoutHandler extends ChannelInboundHandlerAdapter {
    /** The access log's reason for an exchange cut off by this handler. */
    static final String REASON = "send-timeout";

    private static final Logger logger = LoggerFactory.getLogger(SendTimeoutHandler.class);
    /**
     * {@code getsockopt(IPPROTO_TCP, TCP_INFO)}, the first 48 bytes of Linux's {@code struct tcp_info}. Raw, so
     * that it works on every native transport (epoll and io_uring) alike.
     */
    private static final RawUnixChannelOption TCP_INFO = new RawUnixChannelOption("TCP_INFO", 6, 11, 48);
    /** {@code tcpi_retransmits} (u8): retransmission timeouts since data was last acknowledged. */
    private static final int TCPI_RETRANSMITS = 2;
    /** {@code tcpi_last_data_sent} (u32, milliseconds ago). */
    private static final int TCPI_LAST_DATA_SENT = 44;

    private final long timeoutNanos;
    private final GatewayMetrics metrics;
    private ScheduledFuture<?> timer;
    /** The connection is unwritable, since {@link #stalledSinceNanos}. */
    private boolean stalled;
    private long stalledSinceNanos;

    SendTimeoutHandler(long timeoutNanos, GatewayMetrics metrics) {
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("timeoutNanos: " + timeoutNanos + " (expected: > 0)");
        }
        this.timeoutNanos = timeoutNanos;
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (!ctx.channel().isWritable()) {
            if (!stalled) {
                stalled = true;
                // The executor's clock, which tests on an EmbeddedChannel can move.
                stalledSinceNanos = ctx.executor().ticker().nanoTime();
                if (timer == null) {
                    arm(ctx, timeoutNanos);
                }
            }
        } else {
            stalled = false; // the timer, if armed, finds nothing to do
        }
        super.channelWritabilityChanged(ctx);
    }

    private void arm(ChannelHandlerContext ctx, long delayNanos) {
        timer = ctx.executor().schedule(() -> timerFired(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void timerFired(ChannelHandlerContext ctx) {
        timer = null;
        if (!stalled || !ctx.channel().isActive()) {
            return; // it drained meanwhile: the next stall arms it again
        }
        long left = stalledSinceNanos + timeoutNanos - ctx.executor().ticker().nanoTime();
        if (left <= 0) {
            // Unwritable for the whole timeout; but has the client taken nothing? See sinceClientTookData.
            final long quiet = sinceClientTookData(ctx.channel());
            if (quiet >= 0) {
                left = timeoutNanos - quiet;
            }
        }
        if (left > 0) {
            // This stall began after the timer was armed (a shorter one ended before it), or the client
            // took data within the timeout: time the rest.
            arm(ctx, left);
            return;
        }
        timedOut(ctx);
    }

    /**
     * How long ago the kernel last sent the client data, or {@code -1} when that is not known.
     *
     * <p>The channel's writability alone misjudges a slow reader: Linux reports a full socket writable again
     * only once a third of its send buffer is free, and that buffer grows to megabytes (4 MiB on loopback),
     * so a client reading a steady 800 KiB/s keeps a connection unwritable for over a second at a time while
     * it takes data all along. The kernel knows better: {@code tcpi_last_data_sent} says when it last sent
     * data, which it can only do into the window the client opens by reading. It is believed only while no
     * retransmission is outstanding ({@code tcpi_retransmits} 0): a client that vanished makes the kernel
     * resend, not the client read. One {@code getsockopt} when a timer fires on a stalled connection, on the
     * native transports; with NIO, writability alone decides.
     */
    static long sinceClientTookData(Channel channel) {
        if (!(channel instanceof UnixChannel)) {
            return -1;
        }
        try {
            final ByteBuffer info = channel.config().getOption(TCP_INFO);
            if (info == null || info.get(TCPI_RETRANSMITS) != 0) {
                return -1;
            }
            final int millis = info.order(ByteOrder.nativeOrder()).getInt(TCPI_LAST_DATA_SENT);
            return TimeUnit.MILLISECONDS.toNanos(Integer.toUnsignedLong(millis));
        } catch (ChannelException e) {
            return -1; // the socket is gone already
        }
    }

    private void timedOut(ChannelHandlerContext ctx) {
        metrics.sendTimeout();
        final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
        if (exchange != null) {
            exchange.aborted(REASON); // recorded when the close ends it (ExchangeHandler)
        }
        logger.debug("closing client connection {}: nothing written for {} ms", ctx.channel(),
                TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        // A reset: what is unsent is never delivered, and the kernel frees it at once.
        ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
        ctx.close(); // from here towards the head: not through TLS, whose close would wait to send close_notify
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stalled = false;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        super.channelInactive(ctx);
    }
}
