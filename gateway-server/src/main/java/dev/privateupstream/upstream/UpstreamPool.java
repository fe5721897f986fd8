package dev.privateupstream.upstream;

import static java.util.Objects.requireNonNull;

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
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to one upstream, owned by one event loop.
 *
 * <p>Every client connection on this loop borrows from this pool, so a request never crosses threads and
 * the pool needs no locks. At most {@code maxConnections} are open at once; a request that finds none
 * free waits in line for the next one released. An idle connection keeps a read pending so that the
 * backend closing it is noticed at once and it leaves the pool before anyone borrows it; a close that has
 * reached the kernel but not yet this loop is caught when a connection idle for 500 ms or more is borrowed.
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
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    private final ArrayDeque<Promise<Channel>> waiting = new ArrayDeque<>();
    private int open;

    UpstreamPool(EventLoop loop, Bootstrap bootstrap, UpstreamAddress address, int maxConnections,
            int connectTimeoutMillis) {
        this.loop = requireNonNull(loop, "loop");
        this.bootstrap = bootstrap.clone(loop).option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                connectTimeoutMillis);
        this.address = requireNonNull(address, "address");
        this.maxConnections = Math.max(1, maxConnections);
    }

    /** A connection ready for a request: an idle one, a new one, or the next one released. */
    Future<Channel> acquire() {
        assert loop.inEventLoop();
        final Promise<Channel> promise = loop.newPromise();
        Channel channel;
        final long now = System.nanoTime();
        while ((channel = idle.pollLast()) != null) {
            final BackendHandler backend = BackendHandler.of(channel);
            if (channel.isActive() && !backend.trustChanged()
                    && !(backend.idleNanos(now) >= CHECK_AFTER_IDLE_NANOS && closedByPeer(channel))) {
                backend.borrowed();
                return promise.setSuccess(channel);
            }
            // Found closed, or verified under trust roots since replaced, before any byte of a request was
            // written: replaced silently.
            channel.close();
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
    }

    private void closed(Channel channel) {
        open--;
        idle.remove(channel);
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
