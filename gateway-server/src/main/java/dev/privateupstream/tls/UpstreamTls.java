package dev.privateupstream.tls;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.PemFiles;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS to {@code https} upstreams (SPEC §4 {@code upstreams[].url}): TLS 1.2 or 1.3, the backend's
 * certificate verified against the system trust store or the upstream's {@code caFile}, and its host name
 * against the URL's host (HTTPS endpoint identification, as a browser does; an IP literal must be in the
 * certificate's IP SANs). The URL's host is also sent as SNI when it is a name.
 *
 * <p>One client context per trust source, built when a pool for such an upstream is first made and
 * shared by every event loop. A CA file is read again only when its size or modification time changed,
 * which a pool creation (once per loop and upstream, and after a reload) checks.
 */
public final class UpstreamTls {
    private static final Logger logger = LoggerFactory.getLogger(UpstreamTls.class);

    private final TlsProvider provider;
    private final Map<Path, Trust> byCaFile = new ConcurrentHashMap<>();
    private volatile SslContext systemTrust;

    /** A CA file's context and the file state it was built from. */
    private record Trust(FileTime modified, long size, SslContext context) {
    }

    public UpstreamTls() {
        this(TlsProvider.best());
    }

    UpstreamTls(TlsProvider provider) {
        this.provider = requireNonNull(provider, "provider");
    }

    /**
     * The client context trusting {@code caFile}, or the system trust store when it is {@code null}.
     *
     * @throws IllegalStateException when the CA file cannot be read any more (it validated at load)
     */
    public SslContext context(Path caFile) {
        if (caFile == null) {
            SslContext context = systemTrust;
            if (context == null) {
                context = build(null);
                systemTrust = context;
            }
            return context;
        }
        final BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(caFile, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new IllegalStateException("caFile " + caFile + ": " + e, e);
        }
        Trust trust = byCaFile.get(caFile);
        if (trust == null || !trust.modified().equals(attributes.lastModifiedTime()) || trust.size() != attributes.size()) {
            trust = new Trust(attributes.lastModifiedTime(), attributes.size(), build(caFile));
            byCaFile.put(caFile, trust);
        }
        return trust.context();
    }

    private SslContext build(Path caFile) {
        final SslContextBuilder builder = SslContextBuilder.forClient()
                .sslProvider(provider.sslProvider())
                .protocols(TlsProvider.PROTOCOLS)
                .endpointIdentificationAlgorithm("HTTPS");
        if (caFile != null) {
            builder.trustManager(PemFiles.certificates(caFile));
        }
        try {
            final SslContext context = builder.build();
            logger.info("TLS to upstreams: provider {}, trusting {}", provider.describe(),
                    caFile == null ? "the system trust store" : caFile);
            return context;
        } catch (SSLException e) {
            throw new IllegalStateException("TLS to upstreams: " + e.getMessage(), e);
        }
    }

    /**
     * A handler for a new connection to {@code host:port}: SNI and host name verification for {@code host}.
     */
    public static SslHandler newHandler(SslContext context, ByteBufAllocator alloc, String host, int port) {
        final SslHandler handler = context.newHandler(alloc, host, port);
        // The context asks for it already; set on the engine too, so no provider can skip it.
        final SSLEngine engine = handler.engine();
        final SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(parameters);
        return handler;
    }
}
