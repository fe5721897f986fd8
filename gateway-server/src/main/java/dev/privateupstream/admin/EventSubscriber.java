package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of {@code GET /api/events}: its channel, after the answer's head, and how far behind it is.
 *
 * <p>A client that does not read would have every event buffered for it without bound. So one that has more
 * than {@code maxPendingEvents} events not yet handed to its socket, or whose channel stayed unwritable for
 * longer than {@code maxStallNanos}, is closed; it reconnects and reloads when it can keep up again. Touched
 * only on the channel's event loop.
 */
final class EventSubscriber {
    private static final Logger logger = LoggerFactory.getLogger(EventSubscriber.class);

    private final Channel channel;
    private final int maxPendingEvents;
    private final long maxStallNanos;
    private int pendingEvents;
    /** {@link System#nanoTime} when the channel was first seen unwritable, or 0 while it is writable. */
    private long unwritableSince;

    EventSubscriber(Channel channel, int maxPendingEvents, long maxStallNanos) {
        this.channel = requireNonNull(channel, "channel");
        this.maxPendingEvents = maxPendingEvents;
        this.maxStallNanos = maxStallNanos;
    }

    Channel channel() {
        return channel;
    }

    /**
     * Writes {@code events} events' text (or a comment, {@code events} 0) as one chunk, unless the client is too
     * far behind, in which case it is closed instead.
     */
    void send(byte[] text, int events) {
        if (!channel.isActive() || tooFarBehind(events)) {
            return;
        }
        pendingEvents += events;
        // The chunk wraps the shared bytes (no copy); the channel owns it from here and releases it.
        channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(text)))
                .addListener(written -> pendingEvents -= events);
    }

    private boolean tooFarBehind(int events) {
        if (channel.isWritable()) {
            unwritableSince = 0;
        } else if (unwritableSince == 0) {
            unwritableSince = Math.max(1, System.nanoTime());
        }
        final boolean stalled = unwritableSince != 0 && System.nanoTime() - unwritableSince > maxStallNanos;
        if (pendingEvents + events > maxPendingEvents || stalled) {
            logger.info("admin event stream to {} closed: it did not keep up ({} events not yet sent, unwritable "
                    + "for {} ms); the page reconnects and reloads", channel.remoteAddress(), pendingEvents,
                    unwritableSince == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - unwritableSince));
            channel.close();
            return true;
        }
        return false;
    }

    /** Ends the stream cleanly (the last chunk), then the connection. */
    void end() {
        if (channel.isActive()) {
            channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
