package dev.privateupstream.bench;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DefaultSocketChannelConfig;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * An {@link EmbeddedChannel} that passes for a TCP connection from a chosen peer, so that the gateway's
 * real {@code ProxyChannelInitializer} (a {@code ChannelInitializer<SocketChannel>}) can build its pipeline
 * on it. Like the production listener it has AUTO_READ off and the pooled allocator.
 */
final class EmbeddedSocketChannel extends EmbeddedChannel implements SocketChannel {
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final Socket socket = new Socket(); // never connected: only backs the config's option calls
    private SocketChannelConfig socketConfig;

    /** A channel not yet registered: add handlers, then {@link #register()}. */
    EmbeddedSocketChannel(InetSocketAddress remote, InetSocketAddress local) {
        super(false, false);
        this.remote = remote;
        this.local = local;
        config().setAutoRead(false);
        config().setAllocator(PooledByteBufAllocator.DEFAULT);
    }

    @Override
    public SocketChannelConfig config() {
        // Created on first use: the superclass constructor may ask before this class's fields are set.
        if (socketConfig == null) {
            socketConfig = new DefaultSocketChannelConfig(this, socket);
        }
        return socketConfig;
    }

    @Override
    public ServerSocketChannel parent() {
        return null;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    protected InetSocketAddress localAddress0() {
        return local;
    }

    @Override
    protected InetSocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    public boolean isInputShutdown() {
        return !isActive();
    }

    @Override
    public ChannelFuture shutdownInput() {
        return close();
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        return close(promise);
    }

    @Override
    public boolean isOutputShutdown() {
        return !isActive();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return close();
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        return close(promise);
    }

    @Override
    public boolean isShutdown() {
        return !isActive();
    }

    @Override
    public ChannelFuture shutdown() {
        return close();
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        return close(promise);
    }

    /** Closes the channel and the unconnected socket behind its config. */
    void dispose() {
        finishAndReleaseAll();
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
