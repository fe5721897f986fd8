package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch that outlives its streams: each stream has its own connection ({@link WatchStreamHandler}), and when
 * one drops the watch reconnects, to the next endpoint after {@value #RECONNECT_DELAY_MILLIS} ms, from its
 * cursor, forever until closed or compacted away.
 *
 * <p>The cursor ({@link #nextRevision()}) is the last delivered event's revision + 1, or the header revision
 * + 1 of a progress notification; never the created answer's revision, which is the store's current revision
 * and may be ahead of events not yet delivered. Resuming from it neither loses nor repeats an event.
 *
 * <p>What counts as a dropped stream: the connection closing (a member that dies closes it), an error line
 * (etcd ends the stream with "no leader" when its member loses the leader, since every create request asks
 * for that), a stream not created within the timeout, and a cancellation other than compaction. A member that
 * still has a leader but stops sending is not noticed: a quiet range gets a progress notification only every
 * ten minutes or so, so silence proves nothing.
 *
 * <p>State is touched on the event loop only; the cursor and liveness are also readable from other threads.
 */
final class ResumingWatch implements EtcdWatch {
    private static final Logger logger = LoggerFactory.getLogger(ResumingWatch.class);

    static final long RECONNECT_DELAY_MILLIS = 500;

    private final EventLoop loop;
    private final Connector connector;
    private final List<URI> endpoints;
    private final Credentials credentials;
    private final Duration timeout;
    private final byte[] key;
    private final byte[] rangeEnd;
    private final EtcdWatchListener listener;
    private final Consumer<ResumingWatch> onEnd;
    private final String name;

    private volatile long nextRevision;
    private volatile boolean live;
    private volatile boolean closed;
    private int endpoint;
    private Channel channel;
    /** Where {@link #channel} leads. */
    private URI connectedTo;
    private ScheduledFuture<?> reconnect;
    /** Whether the stream is down and that was already logged as a warning. */
    private boolean downLogged;

    ResumingWatch(EventLoop loop, Connector connector, EtcdClientSettings settings, byte[] key, byte[] rangeEnd,
            long startRevision, EtcdWatchListener listener, int firstEndpoint, Consumer<ResumingWatch> onEnd) {
        this.loop = requireNonNull(loop, "loop");
        this.connector = requireNonNull(connector, "connector");
        this.endpoints = settings.endpoints();
        this.credentials = Credentials.of(settings);
        this.timeout = settings.timeout();
        this.key = requireNonNull(key, "key");
        this.rangeEnd = rangeEnd;
        this.listener = requireNonNull(listener, "listener");
        this.onEnd = requireNonNull(onEnd, "onEnd");
        this.nextRevision = startRevision;
        this.endpoint = Math.floorMod(firstEndpoint, endpoints.size());
        this.name = "watch on " + new String(key, StandardCharsets.UTF_8)
                    + (rangeEnd == null ? "" : ".." + new String(rangeEnd, StandardCharsets.UTF_8));
    }

    void start() {
        loop.execute(this::connect);
    }

    @Override
    public long nextRevision() {
        return nextRevision;
    }

    @Override
    public boolean live() {
        return live;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (loop.inEventLoop()) {
            shutDown();
        } else if (!loop.isShuttingDown()) {
            loop.execute(this::shutDown);
        }
    }

    private void shutDown() {
        if (reconnect != null) {
            reconnect.cancel(false);
        }
        live = false;
        if (channel != null) {
            channel.close();
            channel = null;
        }
        onEnd.accept(this);
    }

    /** The body of the create request, from the cursor as it is now. */
    byte[] createRequest() {
        final ObjectNode create = GatewayJson.object();
        GatewayJson.putBytes(create, "key", key);
        GatewayJson.putBytes(create, "range_end", rangeEnd);
        GatewayJson.putInt64(create, "start_revision", nextRevision);
        create.put("progress_notify", true);
        final ObjectNode body = GatewayJson.object();
        body.set("create_request", create);
        return GatewayJson.write(body);
    }

    private void connect() {
        reconnect = null;
        if (closed) {
            return;
        }
        final URI target = endpoints.get(endpoint);
        final WatchStreamHandler handler = new WatchStreamHandler(this, target, credentials);
        final Future<Channel> ready = connector.connect(target, handler);
        ready.addListener(f -> {
            if (!f.isSuccess()) {
                down(target + ": " + Connector.describe(f.cause()));
                scheduleReconnect();
                return;
            }
            final Channel connected = ready.getNow();
            if (closed) {
                connected.close();
                return;
            }
            channel = connected;
            connectedTo = target;
            connected.closeFuture().addListener(c -> disconnected(connected));
            handler.start();
            // A member that accepts the connection but never creates the watch (stuck, or waiting for a
            // leader that does not come) must not hold the watch.
            loop.schedule(() -> {
                if (channel == connected && !live) {
                    ending(connected, "no watch created within " + timeout);
                    connected.close();
                }
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        });
    }

    private void scheduleReconnect() {
        if (closed) {
            return;
        }
        endpoint = (endpoint + 1) % endpoints.size();
        reconnect = loop.schedule(this::connect, RECONNECT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void disconnected(Channel ch) {
        if (ch != channel) {
            return;
        }
        channel = null;
        if (closed) {
            return;
        }
        if (live) {
            live = false;
            down("the stream to " + endpointOf(ch) + " closed");
            notify(() -> listener.onLive(false));
        } else {
            down("the connection to " + endpointOf(ch) + " closed before the watch was created");
        }
        scheduleReconnect();
    }

    /** A stream is about to close, for {@code why}: logged, the reconnection follows the close. */
    void ending(Channel ch, String why) {
        if (ch == channel && !closed) {
            down(why);
        }
    }

    void created(Channel ch) {
        if (ch != channel || closed) {
            return;
        }
        if (downLogged) {
            logger.info("etcd: {} is live again at {}, from revision {}", name, endpointOf(ch), nextRevision);
            downLogged = false;
        }
        live = true;
        notify(() -> listener.onLive(true));
    }

    void events(Channel ch, long headerRevision, List<WatchEvent> events) {
        if (ch != channel || closed) {
            return;
        }
        nextRevision = events.get(events.size() - 1).kv().modRevision() + 1;
        notify(() -> listener.onEvents(headerRevision, events));
    }

    void progress(Channel ch, long headerRevision) {
        if (ch != channel || closed) {
            return;
        }
        // etcd notifies only watches that are caught up; max() guards against a header behind the cursor.
        nextRevision = Math.max(nextRevision, headerRevision + 1);
        notify(() -> listener.onProgress(headerRevision));
    }

    void compacted(Channel ch, long compactRevision) {
        if (ch != channel || closed) {
            return;
        }
        logger.info("etcd: {} needs revision {}, compacted away (compaction at {}): the watch ends", name,
                nextRevision, compactRevision);
        closed = true;
        channel = null;
        ch.close();
        if (live) {
            live = false;
            notify(() -> listener.onLive(false));
        }
        notify(() -> listener.onCompacted(compactRevision));
        onEnd.accept(this);
    }

    private void down(String why) {
        if (downLogged) {
            logger.debug("etcd: {} still down: {}", name, why);
            return;
        }
        downLogged = true;
        logger.warn("etcd: {} dropped: {}; reconnecting from revision {} every {} ms, next endpoint first; "
                + "if this lasts, check that sharedPrivateEndpoints.etcd.endpoints are reachable and the cluster "
                + "has quorum", name, why, nextRevision, RECONNECT_DELAY_MILLIS);
    }

    private String endpointOf(Channel ch) {
        return ch == channel || channel == null ? String.valueOf(connectedTo) : String.valueOf(ch.remoteAddress());
    }

    /** Runs a listener callback; one that throws is logged and does not stop the watch. */
    private void notify(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            logger.error("etcd: the listener of {} threw; the watch goes on; a bug in the gateway: please report it "
                    + "with this stack trace", name, e);
        }
    }

    @Override
    public String toString() {
        return name + " (next revision " + nextRevision + (live ? ", live)" : ", down)");
    }
}
