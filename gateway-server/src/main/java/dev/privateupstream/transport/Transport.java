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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The socket transport in use, chosen once per process. {@code auto} takes the first of these that this
 * machine allows: io_uring on Linux {@value #IO_URING_MIN_MAJOR}.{@value #IO_URING_MIN_MINOR} or newer
 * (the reads and writes of a loop iteration reach the kernel in one system call: the fastest here, see
 * benchmarks/README.md), native epoll, NIO. io_uring does not load where a container's seccomp profile or
 * {@code kernel.io_uring_disabled} forbids it, and {@code auto} then falls back to epoll; older kernels
 * get epoll because their io_uring lacks what Netty's transport sets its rings up with when it can
 * (single issuer, 6.0; deferred task running, 6.1) and was never measured here.
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

    /** The oldest kernel on which {@code auto} takes io_uring: the first long-term release with all of the above. */
    static final int IO_URING_MIN_MAJOR = 6;
    static final int IO_URING_MIN_MINOR = 1;

    /** What {@code auto} tries, best first. */
    private static final Transport[] AUTO_ORDER = {IO_URING, EPOLL, NIO};

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

    /** What {@code auto} means: io_uring on a recent enough kernel, else epoll, else NIO. */
    public static Transport best() {
        return best(kernelRelease());
    }

    /** {@link #best()} on a kernel of that release. */
    static Transport best(String kernelRelease) {
        for (Transport transport : AUTO_ORDER) {
            if (autoRefusal(transport, kernelRelease) == null) {
                return transport;
            }
        }
        return NIO;
    }

    /**
     * Why {@code auto} passed over each transport it prefers to {@code chosen}, one phrase each (for the
     * start-up log, so an operator sees why the gateway is not on io_uring); empty when it passed over none.
     */
    public static List<String> passedOver(Transport chosen) {
        return passedOver(chosen, kernelRelease());
    }

    /** {@link #passedOver(Transport)} on a kernel of that release. */
    static List<String> passedOver(Transport chosen, String kernelRelease) {
        final List<String> reasons = new ArrayList<>(2);
        for (Transport transport : AUTO_ORDER) {
            if (transport == chosen) {
                break;
            }
            final String refusal = autoRefusal(transport, kernelRelease);
            if (refusal != null) {
                reasons.add(transport + " " + refusal);
            }
        }
        return reasons;
    }

    /** Why {@code auto} will not take this transport, or {@code null} when it will. */
    private static String autoRefusal(Transport transport, String kernelRelease) {
        if (transport == IO_URING && !kernelAtLeast(kernelRelease, IO_URING_MIN_MAJOR, IO_URING_MIN_MINOR)) {
            return "passed over: kernel " + kernelRelease + " is older than " + IO_URING_MIN_MAJOR + "."
                    + IO_URING_MIN_MINOR + " (--transport io_uring still takes it)";
        }
        return transport.isAvailable() ? null : "unavailable: " + transport.unavailabilityCause();
    }

    /** This machine's kernel release ({@code uname -r}), as the JVM reports it. */
    private static String kernelRelease() {
        return System.getProperty("os.version", "");
    }

    /**
     * Whether a kernel release string ({@code uname -r}, the JVM's {@code os.version}: "6.18.44-fc-v669",
     * "5.15.0-1064-azure") is at least major.minor; {@code false} when it does not start with two numbers.
     */
    static boolean kernelAtLeast(String release, int major, int minor) {
        final int firstDot = release.indexOf('.');
        if (firstDot <= 0) {
            return false;
        }
        int end = firstDot + 1;
        while (end < release.length() && Character.isDigit(release.charAt(end))) {
            end++;
        }
        if (end == firstDot + 1) {
            return false;
        }
        try {
            final int releaseMajor = Integer.parseInt(release.substring(0, firstDot));
            final int releaseMinor = Integer.parseInt(release.substring(firstDot + 1, end));
            return releaseMajor > major || releaseMajor == major && releaseMinor >= minor;
        } catch (NumberFormatException e) {
            return false;
        }
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
