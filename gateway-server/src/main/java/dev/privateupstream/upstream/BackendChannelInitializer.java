package dev.privateupstream.upstream;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;

/**
 * The pipeline of a backend connection: HTTP/1.1 client codec, then {@link BackendHandler}.
 */
final class BackendChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final int MAX_STATUS_LINE = 8192;
    private static final int MAX_CHUNK = 65536;

    private final int maxResponseHeaderBytes;

    BackendChannelInitializer(int maxResponseHeaderBytes) {
        this.maxResponseHeaderBytes = maxResponseHeaderBytes;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast("codec", new HttpClientCodec(MAX_STATUS_LINE, maxResponseHeaderBytes, MAX_CHUNK))
                .addLast("backend", new BackendHandler());
    }
}
