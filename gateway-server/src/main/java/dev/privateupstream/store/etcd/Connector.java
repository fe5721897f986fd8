package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.PemFiles;
import dev.privateupstream.tls.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.URI;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * Opens HTTP/1.1 connections to etcd endpoints, with TLS for https ones: a connection is handed over only once
 * it can carry a request, so a refused connection and a failed handshake are both connect failures, and the
 * caller can move on to the next endpoint without having sent anything.
 */
final class Connector {
    /** Never wait longer than this for a connection: an unreachable member must not eat a call's whole timeout. */
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(1);

    private final Bootstrap bootstrap;
    private final SslContext ssl;
    private final long connectTimeoutMillis;
    /** Names are looked up without blocking the loop: a slow lookup there would hold every call's timeout. */
    private final DnsAddressResolverGroup dns = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
            .datagramChannelType(NioDatagramChannel.class));

    Connector(EventLoop loop, EtcdClientSettings settings) {
        requireNonNull(loop, "loop");
        requireNonNull(settings, "settings");
        final Duration connectTimeout = settings.timeout().compareTo(MAX_CONNECT_TIMEOUT) < 0
                ? settings.timeout() : MAX_CONNECT_TIMEOUT;
        this.connectTimeoutMillis = Math.max(1, connectTimeout.toMillis());
        this.bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeoutMillis)
                .resolver(dns);
        this.ssl = settings.usesTls() ? sslContext(settings) : null;
    }

    /**
     * The client TLS context: TLS 1.2 or 1.3, the server's certificate checked against {@code caFile} (or the
     * JDK's trust store) and its host name against the endpoint's, and the client certificate when given.
     *
     * @throws IllegalArgumentException naming a PEM file that cannot be used
     */
    static SslContext sslContext(EtcdClientSettings settings) {
        final SslContextBuilder builder = SslContextBuilder.forClient()
                .protocols("TLSv1.3", "TLSv1.2")
                .endpointIdentificationAlgorithm("HTTPS");
        if (settings.caFile() != null) {
            builder.trustManager(PemFiles.certificates(settings.caFile()));
        }
        if (settings.certificate() != null) {
            final List<X509Certificate> chain = PemFiles.certificates(settings.certificate());
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("certificate " + settings.certificate()
                        + ": no CERTIFICATE block (expected: a PEM client certificate)");
            }
            final PrivateKey key = PemFiles.privateKey(settings.privateKey());
            PemFiles.checkKeyPair(chain.get(0), key, settings.privateKey().toString());
            builder.keyManager(key, chain.toArray(new X509Certificate[0]));
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("TLS to etcd: " + e.getMessage(), e);
        }
    }

    /**
     * Connects to {@code endpoint} and sets up the pipeline: TLS for https, an HTTP client codec, then
     * {@code handlers}. The future completes once the connection is ready for a request (TLS handshake done),
     * or fails with why it could not be.
     */
    Future<Channel> connect(URI endpoint, ChannelHandler... handlers) {
        final boolean tls = "https".equals(endpoint.getScheme());
        final ChannelFuture connect = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                if (tls) {
                    final SslHandler handler = UpstreamTls.newHandler(ssl, channel.alloc(), endpoint.getHost(),
                            endpoint.getPort());
                    // The handshake is part of connecting, and bounded the same way.
                    handler.setHandshakeTimeoutMillis(connectTimeoutMillis);
                    channel.pipeline().addLast(handler);
                }
                channel.pipeline().addLast(new HttpClientCodec());
                channel.pipeline().addLast(handlers);
            }
        }).connect(endpoint.getHost(), endpoint.getPort());
        final Channel channel = connect.channel();
        final Promise<Channel> ready = channel.eventLoop().newPromise();
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                ready.tryFailure(f.cause());
                return;
            }
            if (!tls) {
                ready.trySuccess(channel);
                return;
            }
            channel.pipeline().get(SslHandler.class).handshakeFuture().addListener(handshake -> {
                if (handshake.isSuccess()) {
                    ready.trySuccess(channel);
                } else {
                    channel.close();
                    ready.tryFailure(handshake.cause());
                }
            });
        });
        return ready;
    }

    /** Releases the name resolver. */
    void close() {
        dns.close();
    }

    /** The Host header for requests to {@code endpoint}. */
    static String host(URI endpoint) {
        return endpoint.getHost() + ':' + endpoint.getPort();
    }

    /** A connect failure in a few words, for messages that list one per endpoint. */
    static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root && root.getMessage() == null) {
            root = root.getCause();
        }
        final String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
