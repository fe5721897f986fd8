package dev.privateupstream.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The socket transport in use, chosen once per process. {@code auto} is native epoll when its library
 * loads (fewer copies, edge-triggered events), NIO otherwise. io_uring (submission and completion rings:
 * the reads and writes of a loop iteration reach the kernel in one system call) is chosen explicitly: it
 * is the fastest here (see benchmarks/README.md), but container runtimes often block it and some
 * operators turn it off ({@code kernel.io_uring_disabled}), so it is not the silent default.
 */
public enum Transport {
    EPOLL(Epoll::isAvailable, Epoll::unavailabilityCause, EpollIoHandler::newFactory,
            EpollServerSocketChannel.class, EpollSocketChannel.class, EpollDatagramChannel.class),
    IO_URING(IoUring::isAvailable, IoUring::unavailabilityCause, IoUringIoHandler::newFactory,
            IoUringServerSocketChannel.class, IoUringSocketChannel.class, IoUringDatagramChannel.class),
    NIO(() -> true, () -> null, NioIoHandler::newFactory,
            NioServerSocketChannel.class, NioSocketChannel.class, NioDatagramChannel.class);

    /** The names {@link #select} takes. */
    public static final String NAMES = "auto, epoll, io_uring, nio";

    private final Supplier<Boolean> available;
    private final Supplier<Throwable> unavailabilityCause;
    private final Supplier<IoHandlerFactory> ioHandlers;
    private final Class<? extends ServerSocketChannel> serverChannel;
    private final Class<? extends SocketChannel> clientChannel;
    private final Class<? extends DatagramChannel> datagramChannel;

    Transport(Supplier<Boolean> available, Supplier<Throwable> unavailabilityCause,
            Supplier<IoHandlerFactory> ioHandlers, Class<? extends ServerSocketChannel> serverChannel,
            Class<? extends SocketChannel> clientChannel, Class<? extends DatagramChannel> datagramChannel) {
        this.available = available;
        this.unavailabilityCause = unavailabilityCause;
        this.ioHandlers = ioHandlers;
        this.serverChannel = serverChannel;
        this.clientChannel = clientChannel;
        this.datagramChannel = datagramChannel;
    }

    /** What {@code auto} means: epoll when available, NIO otherwise. */
    public static Transport best() {
        return EPOLL.isAvailable() ? EPOLL : NIO;
    }

    /**
     * The transport of that name ({@link #NAMES}).
     *
     * @throws IllegalArgumentException for an unknown name, or a transport that cannot load here (the
     *         message says why and what to use instead)
     */
    public static Transport select(String name) {
        if ("auto".equalsIgnoreCase(name)) {
            return best();
        }
        final Transport transport;
        try {
            transport = valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown transport '" + name + "': use one of " + NAMES, e);
        }
        if (!transport.isAvailable()) {
            throw new IllegalArgumentException(transport + " is not available on this machine ("
                    + transport.unavailabilityCause() + "): use --transport auto", transport.unavailabilityCause());
        }
        return transport;
    }

    public boolean isAvailable() {
        return available.get();
    }

    /** Why this transport cannot load, or {@code null} when it can. */
    public Throwable unavailabilityCause() {
        return isAvailable() ? null : unavailabilityCause.get();
    }

    public EventLoopGroup newGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), ioHandlers.get());
    }

    public Class<? extends ServerSocketChannel> serverChannel() {
        return serverChannel;
    }

    public Class<? extends SocketChannel> clientChannel() {
        return clientChannel;
    }

    /** The datagram channel class, for the asynchronous DNS resolver. */
    public Class<? extends DatagramChannel> datagramChannel() {
        return datagramChannel;
    }

    /** The transport whose client socket channel class this is. */
    public static Transport ofClientChannel(Class<? extends SocketChannel> channelClass) {
        for (Transport transport : values()) {
            if (transport.clientChannel == channelClass) {
                return transport;
            }
        }
        throw new IllegalArgumentException("no transport has client channels of " + channelClass);
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
