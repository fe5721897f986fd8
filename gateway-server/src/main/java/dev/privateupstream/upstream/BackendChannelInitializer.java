package dev.privateupstream.upstream;

import dev.privateupstream.tls.TrustRoots;
import dev.privateupstream.tls.UpstreamTls;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline of a backend connection: for an {@code https} upstream TLS first (SNI and certificate
 * verification for the URL's host with the trust roots in force as it is made, see {@link UpstreamTls}),
 * then the HTTP/1.1 codec
 * ({@link BackendHttpCodec}), then {@link BackendHandler}.
 *
 * <p>A handshake that fails closes the connection before any request byte leaves (the TLS handler holds
 * writes until the handshake ends), so the relay answers {@code 502 upstream-unreachable} and the failure
 * is logged once per connection attempt with its cause, such as an unknown CA or a host name mismatch.
 */
final class BackendChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final Logger logger = LoggerFactory.getLogger(BackendChannelInitializer.class);
    private static final int MAX_STATUS_LINE = 8192;
    private static final int MAX_CHUNK = 65536;

    private final int maxResponseHeaderBytes;
    private final TrustRoots trust;
    private final UpstreamAddress address;

    /** A plain HTTP backend connection. */
    BackendChannelInitializer(int maxResponseHeaderBytes) {
        this(maxResponseHeaderBytes, null, null);
    }

    /**
     * @param trust the trust roots of an {@code https} upstream, read as each connection is made; while they
     *        have no context (a CA file that never loaded) connections are closed as soon as they connect
     *        (each call gets 502)
     * @param address the upstream, whose host is verified against its certificate
     */
    BackendChannelInitializer(int maxResponseHeaderBytes, TrustRoots trust, UpstreamAddress address) {
        this.maxResponseHeaderBytes = maxResponseHeaderBytes;
        this.trust = trust;
        this.address = address;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        final SslContext tls = trust == null ? null : trust.current();
        if (trust != null && tls == null) {
            ch.pipeline().addLast("unusable", new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    ctx.close(); // never speak plain HTTP to an https upstream
                }
            });
        }
        if (tls != null) {
            final SslHandler ssl = UpstreamTls.newHandler(tls, ch.alloc(), address.host(), address.port());
            ssl.handshakeFuture().addListener(f -> {
                // Only TLS failures: a connection closed early (its client went away) is no news.
                if (!f.isSuccess() && f.cause() instanceof SSLException) {
                    logger.warn("TLS handshake with upstream {} failed: {}; check that it speaks TLS on that port and "
                            + "that its certificate chains to upstreams[].caFile (or the system trust store "
                            + "without one) and names that host", address, rootMessage(f.cause()));
                }
            });
            ch.pipeline().addLast("tls", ssl);
        }
        BackendHttpCodec.addTo(ch.pipeline(), MAX_STATUS_LINE, maxResponseHeaderBytes, MAX_CHUNK);
        ch.pipeline().addLast("backend", new BackendHandler(trust, tls));
    }

    /**
     * The innermost cause: BoringSSL wraps the trust manager's reason (unknown CA, no matching host name)
     * in a generic engine error.
     */
    private static String rootMessage(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }
}
