package dev.privateupstream.upstream;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.metrics.PooledConnectionClose;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to one upstream, owned by one event loop.
 *
 * <p>Every client connection on this loop borrows from this pool, so a request never crosses threads and
 * the pool needs no locks. At most {@code maxConnections} are open at once; a request that finds none
 * free waits in line for the next one released. Connections are lent newest first, so under a steady load
 * the ones the load does not need age at the far end of the idle list.
 *
 * <p>A stale connection, one the backend has closed, must never carry a request: once a request byte went
 * out the call is not retried (SPEC §6), so it would fail with {@code 502}. Three guards, cheapest first:
 * <ol>
 * <li>The pool closes a connection that sat idle for the upstream's {@code idleTimeout}, one timer per pool
 *     (armed while connections sit idle, re-armed for the oldest one's remaining time), and never lends one
 *     idle that long even when the timer is late. With {@code idleTimeout} below the backend's keep-alive,
 *     the gateway, not the backend, closes every idle connection.</li>
 * <li>An idle connection keeps a read pending, so the backend closing it for another reason (a restart, a
 *     shorter keep-alive than configured) is noticed at once and it leaves the pool before anyone borrows
 *     it.</li>
 * <li>A close that has reached the kernel but not yet this loop is caught when a connection idle for
 *     500 ms or more is lent: its TCP state has left ESTABLISHED (native transports).</li>
 * </ol>
 * A connection found closed here is discarded and another one lent or opened: no byte of the request was
 * written, so this is not a retry. What no check can catch is a backend's FIN still on the wire when the
 * request is written: the close and the request cross, the backend answers the request with a reset, and
 * the call fails with {@code 502}. Only the first guard prevents that, by closing before the backend would,
 * which is why {@code idleTimeout} must stay below the backend's keep-alive.
 *
 * <p>Counts {@code gateway_upstream_connections_closed_total{upstream,reason}}: {@code idle} for the first
 * guard, {@code stale} for the others, under the upstream whose call last used the connection.
 */
final class UpstreamPool {
    /**
     * Connections idle for less than this are lent without asking the kernel: a backend's idle timeout has
     * not fired so soon, and under load (connections reused at once) the check would cost a system call
     * per request.
     */
    private static final long CHECK_AFTER_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** {@code TCP_ESTABLISHED} of Linux's {@code tcp_states.h}. */
    private static final int TCP_ESTABLISHED = 1;
    /**
     * {@code getsockopt(IPPROTO_TCP, TCP_INFO)}, first 8 bytes: {@code tcpi_state} is the first. Raw, so
     * that it works on every native transport (epoll and io_uring) alike.
     */
    private static final RawUnixChannelOption TCP_INFO = new RawUnixChannelOption("TCP_INFO", 6, 11, 8);

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final UpstreamAddress address;
    private final int maxConnections;
    private final long idleTimeoutNanos;
    private final String upstream;
    private final GatewayMetrics metrics;
    /** Oldest first: released connections go to the end, and are lent from the end. */
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    private final ArrayDeque<Promise<Channel>> waiting = new ArrayDeque<>();
    private int open;
    /** Armed while connections sit idle: fires when the oldest one reaches {@code idleTimeout}. */
    private ScheduledFuture<?> idleTimer;

    /**
     * What a pool is told about its upstream.
     *
     * @param upstream the name its closes are counted under until a call has used a connection
     * @param maxConnections this loop's share of the upstream's {@code maxConnections}
     * @param idleTimeout how long a connection may sit idle before the pool closes it
     */
    record Settings(String upstream, int maxConnections, int connectTimeoutMillis, Duration idleTimeout) {
        Settings {
            requireNonNull(upstream, "upstream");
            requireNonNull(idleTimeout, "idleTimeout");
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
            }
        }
    }

    UpstreamPool(EventLoop loop, Bootstrap bootstrap, UpstreamAddress address, Settings settings,
            GatewayMetrics metrics) {
        this.loop = requireNonNull(loop, "loop");
        this.bootstrap = bootstrap.clone(loop).option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                settings.connectTimeoutMillis());
        this.address = requireNonNull(address, "address");
        this.maxConnections = Math.max(1, settings.maxConnections());
        this.idleTimeoutNanos = settings.idleTimeout().toNanos();
        this.upstream = settings.upstream();
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /** A connection ready for a request: an idle one, a new one, or the next one released. */
    Future<Channel> acquire() {
        assert loop.inEventLoop();
        final Promise<Channel> promise = loop.newPromise();
        Channel channel;
        final long now = System.nanoTime();
        while ((channel = idle.pollLast()) != null) {
            final BackendHandler backend = BackendHandler.of(channel);
            final long idleNanos = backend.idleNanos(now);
            if (idleNanos >= idleTimeoutNanos) {
                // Its timer is late (a busy loop): it is as good as closed, and so are the older ones.
                discard(channel, backend, PooledConnectionClose.IDLE);
                continue;
            }
            if (channel.isActive() && !backend.trustChanged()
                    && !(idleNanos >= CHECK_AFTER_IDLE_NANOS && closedByPeer(channel))) {
                backend.borrowed();
                return promise.setSuccess(channel);
            }
            if (channel.isActive() && backend.trustChanged()) {
                channel.close(); // verified under trust roots since replaced: retired, not stale
                continue;
            }
            // Found closed before any byte of a request was written: replaced silently.
            discard(channel, backend, PooledConnectionClose.STALE);
        }
        if (open < maxConnections) {
            connect(promise);
        } else {
            waiting.add(promise);
        }
        return promise;
    }

    /**
     * Whether the backend has already closed or reset an idle connection that this loop has not read yet:
     * its FIN or RST may arrive in the same instant as the request that would borrow the connection, and
     * writing to it would turn into a 502 for a request the backend never saw. The kernel knows: the TCP
     * state has left ESTABLISHED (one {@code getsockopt}; native transports only, NIO has no such query).
     */
    static boolean closedByPeer(Channel channel) {
        if (!(channel instanceof UnixChannel)) {
            return false;
        }
        try {
            final ByteBuffer info = channel.config().getOption(TCP_INFO);
            return info != null && info.get(0) != TCP_ESTABLISHED;
        } catch (ChannelException e) {
            return true; // the socket is gone already
        }
    }

    private void connect(Promise<Channel> promise) {
        open++;
        final ChannelFuture connect = bootstrap.connect(address.host(), address.port());
        final Channel channel = connect.channel();
        channel.closeFuture().addListener(f -> closed(channel));
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause() != null ? f.cause() : new ConnectException("connect failed"));
                return;
            }
            BackendHandler.of(channel).borrowed();
            if (!promise.trySuccess(channel)) {
                // The borrower gave up (its client went away) before the connection was ready.
                release(channel, true);
            }
        });
    }

    /**
     * Returns a borrowed connection. A reusable one goes to the next waiter or back to the idle list;
     * anything else is closed, a connection verified under trust roots since reloaded included.
     */
    void release(Channel channel, boolean reusable) {
        assert loop.inEventLoop();
        if (!reusable || !channel.isActive() || BackendHandler.of(channel).trustChanged()) {
            channel.close();
            return;
        }
        Promise<Channel> next;
        while ((next = waiting.poll()) != null) {
            BackendHandler.of(channel).borrowed();
            if (next.trySuccess(channel)) {
                return;
            }
        }
        BackendHandler.of(channel).idle();
        idle.addLast(channel);
        channel.read(); // notice a close by the backend while idle
        if (idleTimer == null) {
            idleTimer = loop.schedule(this::closeExpired, idleTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The idle timer: closes the connections idle for {@code idleTimeout} (the oldest are first in the list),
     * then waits for the next one to get there. One task per pool at a time, none while nothing is idle.
     */
    private void closeExpired() {
        idleTimer = null;
        final long now = System.nanoTime();
        Channel oldest;
        while ((oldest = idle.peekFirst()) != null) {
            final BackendHandler backend = BackendHandler.of(oldest);
            final long left = idleTimeoutNanos - backend.idleNanos(now);
            if (left > 0) {
                idleTimer = loop.schedule(this::closeExpired, left, TimeUnit.NANOSECONDS);
                return;
            }
            idle.pollFirst();
            discard(oldest, backend, PooledConnectionClose.IDLE);
        }
    }

    /** Closes a connection taken off the idle list, counting why. */
    private void discard(Channel channel, BackendHandler backend, PooledConnectionClose reason) {
        metrics.upstreamConnectionClosed(lastUpstream(backend), reason);
        channel.close();
    }

    private String lastUpstream(BackendHandler backend) {
        final String last = backend == null ? null : backend.upstream();
        return last != null ? last : upstream;
    }

    private void closed(Channel channel) {
        open--;
        if (idle.remove(channel)) {
            // It closed while idle, and not by the pool's hand (the pool takes a connection off the list
            // before closing it): the backend ended it.
            metrics.upstreamConnectionClosed(lastUpstream(BackendHandler.of(channel)), PooledConnectionClose.STALE);
        }
        // Capacity is free again: a waiter gets a fresh connection.
        Promise<Channel> next;
        while ((next = waiting.poll()) != null) {
            if (!next.isDone()) {
                connect(next);
                return;
            }
        }
    }

    /** Closes every idle connection (shutdown). */
    void closeIdle() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        Channel channel;
        while ((channel = idle.poll()) != null) {
            channel.close();
        }
    }

    EventLoop loop() {
        return loop;
    }

    int openConnections() {
        return open;
    }

    int idleConnections() {
        return idle.size();
    }
}
