package dev.privateupstream.simulator;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.privateupstream.signalr.SignatureVerifier;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;

/**
 * An HTTP/1.1 server on {@code 127.0.0.1} that answers SignalR upstream calls as the Azure Functions SignalR
 * trigger endpoint does (wire facts §1, "Expected responses"), and records every request it receives.
 *
 * <p>Answers, in order of precedence: not {@code POST}: {@code 405}; a content type other than
 * {@code application/json} or {@code application/x-msgpack}: {@code 415}; {@code X-ASRS-Hub},
 * {@code X-ASRS-Category} or {@code X-ASRS-Event} missing: {@code 400}; started with access keys and the
 * {@code X-ASRS-Signature} does not verify: {@code 401}; an unknown category or connection event:
 * {@code 404}; {@code connected}, {@code disconnected} and invocations without an {@code invocationId}:
 * {@code 200} with an empty body; an invocation with an {@code invocationId}: {@code 200} with a completion
 * in the request's protocol whose result is the text {@code TARGET:ARGUMENT_COUNT} (for example
 * {@code broadcast:2}): JSON {@code {"type":3,"invocationId":"ID","result":"broadcast:2"}} and the record
 * separator {@code 0x1E}, or MessagePack {@code [3, {}, "ID", 3, "broadcast:2"]} behind its VarInt length. A
 * body that is no invocation, or whose target is not {@code X-ASRS-Event}: {@code 500}.
 *
 * <p>Connections are kept alive; requests over 16 MiB get {@code 413} and a closed connection. Every
 * buffer is released as soon as its bytes are copied, so the backend runs clean under Netty's paranoid leak
 * detection.
 */
public final class FunctionsBackend implements AutoCloseable {

    static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final List<ReceivedRequest> received = new ArrayList<>();

    private FunctionsBackend(FunctionsTrigger trigger) {
        group = new MultiThreadIoEventLoopGroup(Math.min(4, Runtime.getRuntime().availableProcessors()), NioIoHandler.newFactory());
        final ServerBootstrap bootstrap = new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    // Generous limits: the backend must take whatever the gateway lets through.
                    ch.pipeline().addLast(
                        new HttpServerCodec(new HttpDecoderConfig().setMaxInitialLineLength(64 * 1024).setMaxHeaderSize(256 * 1024)),
                        new HttpServerKeepAliveHandler(),
                        new HttpServerExpectContinueHandler(),
                        new FunctionsBackendHandler(trigger, FunctionsBackend.this::record));
                }
            });
        final ChannelFuture bind = bootstrap.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).awaitUninterruptibly();
        if (!bind.isSuccess()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new UncheckedIOException(new IOException("cannot bind 127.0.0.1:0: " + bind.cause(), bind.cause()));
        }
        serverChannel = bind.channel();
    }

    /** Starts a backend that accepts any signature, or none, on a free port of {@code 127.0.0.1}. */
    public static FunctionsBackend start() {
        return start(List.of());
    }

    /**
     * Starts a backend on a free port of {@code 127.0.0.1}.
     *
     * @param accessKeys the keys a call must be signed with; empty to check no signature
     * @throws UncheckedIOException if the port cannot be bound
     */
    public static FunctionsBackend start(List<String> accessKeys) {
        requireNonNull(accessKeys, "accessKeys");
        return new FunctionsBackend(new FunctionsTrigger(accessKeys.isEmpty() ? null : new SignatureVerifier(accessKeys)));
    }

    /** The port it listens on. */
    public int port() {
        return address().getPort();
    }

    /** The address it listens on. */
    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** {@code http://127.0.0.1:PORT}, to put in a gateway's upstream {@code url}. */
    public URI uri() {
        return URI.create("http://" + address().getAddress().getHostAddress() + ':' + port());
    }

    /** The requests received so far, oldest first. */
    public List<ReceivedRequest> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** Forgets the requests received so far. */
    public void clear() {
        synchronized (received) {
            received.clear();
        }
    }

    /**
     * Waits until at least {@code count} requests were received.
     *
     * @return whether they were before {@code timeout} passed
     */
    public boolean awaitCount(int count, Duration timeout) throws InterruptedException {
        requireNonNull(timeout, "timeout");
        final long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (received) {
            while (received.size() < count) {
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(received, left);
            }
            return true;
        }
    }

    /** Closes the listener and every connection, and waits for the threads to end. */
    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    @Override
    public String toString() {
        return "FunctionsBackend " + uri();
    }

    private void record(ReceivedRequest request) {
        synchronized (received) {
            received.add(request);
            received.notifyAll();
        }
    }
}
