package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.store.EndpointResource;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server-sent events of {@code GET /api/events} (SPEC §12): {@code endpoint} for each endpoint created,
 * updated or deleted in the set in force, whatever changed it (this replica's API, another replica through
 * the store, an edit of the endpoints file), {@code reset} when more than {@link #RESET_THRESHOLD} changed at
 * once, and a {@code : keep-alive} comment every {@link #KEEP_ALIVE}.
 *
 * <p>Every swap of the policy reaches {@link PolicyRef}'s listeners; this one only notes the newest snapshot
 * and queues one task on the admin event loop, so the proxy's loops and the configuration thread pay nothing.
 * There the diff is computed once for all subscribers, from the last snapshot published to the newest (a
 * burst of swaps becomes one diff), and only while someone listens. Subscribers live on the same loop, so
 * the fan-out needs no lock.
 */
final class EndpointEvents implements AutoCloseable {
    static final String CONTENT_TYPE = "text/event-stream";
    /** More changes than this in one swap and subscribers get {@code reset}: reloading is quicker. */
    static final int RESET_THRESHOLD = 1000;
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    /** Events a subscriber may have waiting for its socket: a few swaps' worth at the reset threshold. */
    static final int MAX_PENDING_EVENTS = 4 * RESET_THRESHOLD;
    /** How long a subscriber's channel may stay unwritable before it is closed. */
    static final Duration MAX_STALL = Duration.ofSeconds(60);
    private static final Logger logger = LoggerFactory.getLogger(EndpointEvents.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final byte[] KEEP_ALIVE_COMMENT = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESET = frame("reset", "{}");

    private final PolicyRef policy;
    private final EventLoop loop;
    private final IntConsumer subscriberCount;
    private final int maxPendingEvents;
    private final Consumer<PolicySnapshot> listener = this::swapped;
    private final AtomicReference<PolicySnapshot> newest;
    private final AtomicBoolean publishQueued = new AtomicBoolean();
    /** The snapshot subscribers were last told about; on the loop only. */
    private PolicySnapshot published;
    private final Set<EventSubscriber> subscribers = new LinkedHashSet<>();
    private final ScheduledFuture<?> keepAlive;
    private volatile boolean closed;

    /**
     * Starts following {@code policy}'s swaps.
     *
     * @param loop the admin event loop, where subscribers' channels are registered
     * @param subscriberCount told the number of subscribers whenever it changes (a gauge)
     */
    EndpointEvents(PolicyRef policy, EventLoop loop, IntConsumer subscriberCount) {
        this(policy, loop, subscriberCount, MAX_PENDING_EVENTS);
    }

    EndpointEvents(PolicyRef policy, EventLoop loop, IntConsumer subscriberCount, int maxPendingEvents) {
        this.policy = requireNonNull(policy, "policy");
        this.loop = requireNonNull(loop, "loop");
        this.subscriberCount = requireNonNull(subscriberCount, "subscriberCount");
        this.maxPendingEvents = maxPendingEvents;
        published = policy.get();
        newest = new AtomicReference<>(published);
        policy.onSwap(listener);
        keepAlive = loop.scheduleAtFixedRate(this::keepAlive, KEEP_ALIVE.toMillis(), KEEP_ALIVE.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** On the swapping thread: note the snapshot and have the loop publish it, once for a burst of swaps. */
    private void swapped(PolicySnapshot snapshot) {
        // Listeners run after the swap's lock: of two racing swaps, keep the newer whatever the order told.
        newest.accumulateAndGet(snapshot, (kept, next) -> next.generation() > kept.generation() ? next : kept);
        if (!closed && publishQueued.compareAndSet(false, true)) {
            try {
                loop.execute(this::publish);
            } catch (RejectedExecutionException e) {
                publishQueued.set(false); // the admin server is stopping
            }
        }
    }

    private void publish() {
        publishQueued.set(false);
        final PolicySnapshot before = published;
        final PolicySnapshot after = newest.get();
        published = after;
        if (subscribers.isEmpty() || before == after) {
            return;
        }
        final EndpointDiff diff = EndpointDiff.between(before.config().endpoints(), before::endpoint,
                after.config().endpoints(), after::endpoint, RESET_THRESHOLD);
        if (diff.reset()) {
            broadcast(RESET, 1);
        } else if (!diff.changes().isEmpty()) {
            broadcast(frames(diff.changes()), diff.changes().size());
        }
    }

    /**
     * Takes a channel whose answer's head has been written as a subscriber, until it closes. On the loop.
     */
    void subscribe(Channel channel) {
        requireNonNull(channel, "channel");
        if (closed) {
            channel.close();
            return;
        }
        final EventSubscriber subscriber = new EventSubscriber(channel, maxPendingEvents, MAX_STALL.toNanos());
        subscribers.add(subscriber);
        subscriberCount.accept(subscribers.size());
        channel.closeFuture().addListener(f -> {
            subscribers.remove(subscriber);
            subscriberCount.accept(subscribers.size());
        });
        // At once, so the client knows the stream is open (and a browser's fetch resolves).
        subscriber.send(KEEP_ALIVE_COMMENT, 0);
    }

    private void keepAlive() {
        broadcast(KEEP_ALIVE_COMMENT, 0);
    }

    private void broadcast(byte[] text, int events) {
        // A copy: a subscriber closed for falling behind leaves the set while this goes on.
        for (EventSubscriber subscriber : new ArrayList<>(subscribers)) {
            subscriber.send(text, events);
        }
    }

    /** The {@code endpoint} events of {@code changes}, one text for every subscriber. */
    static byte[] frames(List<EndpointDiff.Change> changes) {
        final ByteArrayOutputStream text = new ByteArrayOutputStream(changes.size() * 512);
        for (EndpointDiff.Change change : changes) {
            final ObjectNode data = MAPPER.createObjectNode()
                    .put("name", change.endpoint().name())
                    .put("change", change.kind().wireName());
            if (change.kind() != EndpointDiff.Kind.DELETED) {
                data.set("resource", EndpointResource.of(change.endpoint()));
            }
            text.writeBytes(frame("endpoint", json(data)));
        }
        return text.toByteArray();
    }

    /** One event: its type and its one line of data, then the blank line that ends it. */
    static byte[] frame(String event, String data) {
        return ("event: " + event + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String json(ObjectNode data) {
        try {
            // Compact JSON has no line break, so it is one data line.
            return MAPPER.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    /** Ends every stream cleanly and stops following swaps; the admin server stops next. */
    @Override
    public void close() {
        closed = true;
        policy.removeSwapListener(listener);
        try {
            loop.submit(() -> {
                keepAlive.cancel(false);
                for (EventSubscriber subscriber : new ArrayList<>(subscribers)) {
                    subscriber.end();
                }
            }).awaitUninterruptibly(5, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            logger.debug("admin loop already stopped; its connections closed with it", e);
        }
    }
}
