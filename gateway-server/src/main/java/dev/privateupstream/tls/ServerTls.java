package dev.privateupstream.tls;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.PemFiles;
import dev.privateupstream.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS termination on the proxy port ({@code listen.tls}, SPEC §4): the server {@link SslContext} in force,
 * which the channel initializer reads once per accepted connection.
 *
 * <p>A small daemon thread reads the certificate and key files every {@code pollMillis} and, when their
 * content changed, builds a new context off the event loops and swaps it in: connections accepted
 * afterwards present the new certificate, open ones keep theirs. The content is compared, not the
 * modification time, so a rewrite within one timestamp tick or a Kubernetes secret's symlink swap is seen
 * too. A new pair that does not load (half-written, key of another certificate) is logged once and the
 * previous context stays. The files named by the configuration in force are the ones watched, so a
 * configuration reload that changes {@code listen.tls} applies the same way.
 *
 * <p>TLS 1.2 and 1.3 only, with BoringSSL when available ({@link TlsProvider}).
 */
public final class ServerTls implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(ServerTls.class);
    private static final long DEFAULT_POLL_MILLIS = 1000;

    private final Supplier<TlsConfig> config;
    private final TlsProvider provider;
    private final ScheduledExecutorService watcher;
    private volatile InForce current;
    // Poll state, touched only by the watcher thread (and the constructor before it starts).
    private TlsConfig loadedConfig;
    private PemPair loaded;
    /** The last problem logged, so a pair that stays bad is logged once, not every second. */
    private String lastProblem;

    private ServerTls(Supplier<TlsConfig> config, TlsProvider provider, long pollMillis) {
        this.config = config;
        this.provider = provider;
        final TlsConfig initial = config.get();
        if (initial != null) {
            final PemPair pair = read(initial);
            try {
                current = build(initial, pair);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("listen.tls: " + e.getMessage(), e);
            }
            loadedConfig = initial;
            loaded = pair;
            logger.info("TLS provider: {}; the proxy port speaks {} with certificate {}", provider.describe(),
                    String.join(" and ", TlsProvider.PROTOCOLS), describe(initial, pair));
        }
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "gateway-tls-watch");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::poll, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Loads the TLS configuration in force and watches its files.
     *
     * @param config the {@code listen.tls} in force, {@code null} for plain HTTP; read at every poll
     * @throws IllegalStateException when the initial files do not load: nothing starts half-configured
     */
    public static ServerTls start(Supplier<TlsConfig> config) {
        return new ServerTls(requireNonNull(config, "config"), TlsProvider.best(), DEFAULT_POLL_MILLIS);
    }

    /** Like {@link #start(Supplier)} with a chosen provider and poll interval (tests). */
    static ServerTls start(Supplier<TlsConfig> config, TlsProvider provider, long pollMillis) {
        return new ServerTls(requireNonNull(config, "config"), requireNonNull(provider, "provider"), pollMillis);
    }

    /** The context for the next connection, or {@code null} when the proxy port is plain HTTP. */
    public SslContext current() {
        final InForce inForce = current;
        return inForce == null ? null : inForce.context();
    }

    /**
     * When the chain in force stops being valid: the earliest {@code notAfter} of its certificates (the leaf's,
     * unless an intermediate expires first); {@code null} when the proxy port is plain HTTP.
     */
    public Instant expiry() {
        final InForce inForce = current;
        return inForce == null ? null : inForce.expiry();
    }

    /**
     * A TLS handler for a new connection with the certificate in force, or {@code null} when the proxy port
     * is plain HTTP.
     *
     * @param handshakeTimeout how long a client may take to complete its handshake
     */
    public SslHandler newHandler(ByteBufAllocator alloc, Duration handshakeTimeout) {
        final SslContext context = current();
        if (context == null) {
            return null;
        }
        final SslHandler handler = context.newHandler(alloc);
        handler.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        return handler;
    }

    /** The server context in force and when its chain expires. */
    private record InForce(SslContext context, Instant expiry) {
    }

    /** The certificate and key files as read, to compare with the next poll. */
    private record PemPair(byte[] certificate, byte[] key) {
        boolean sameAs(PemPair other) {
            return other != null && Arrays.equals(certificate, other.certificate) && Arrays.equals(key, other.key);
        }
    }

    private static PemPair read(TlsConfig tls) {
        try {
            return new PemPair(Files.readAllBytes(tls.certificate()), Files.readAllBytes(tls.privateKey()));
        } catch (IOException e) {
            throw new IllegalStateException("listen.tls: cannot read " + e.getMessage(), e);
        }
    }

    /**
     * Builds a server context from the bytes read, with the checks validation makes (PemFiles).
     *
     * @throws IllegalArgumentException when the files do not hold a matching certificate chain and key
     */
    private InForce build(TlsConfig tls, PemPair pair) {
        final List<X509Certificate> chain = PemFiles.certificates(pair.certificate(), tls.certificate().toString());
        final PrivateKey key = PemFiles.privateKey(pair.key(), tls.privateKey().toString());
        PemFiles.checkKeyPair(chain.get(0), key, tls.privateKey().toString());
        try {
            return new InForce(SslContextBuilder.forServer(key, chain)
                    .sslProvider(provider.sslProvider())
                    .protocols(TlsProvider.PROTOCOLS)
                    .build(), PemFiles.earliestExpiry(chain));
        } catch (SSLException e) {
            throw new IllegalArgumentException(provider + " refused the certificate and key: " + e.getMessage(), e);
        }
    }

    private void poll() {
        try {
            final TlsConfig tls = config.get();
            if (tls == null) {
                if (current != null) {
                    current = null;
                    loadedConfig = null;
                    loaded = null;
                    logger.info("TLS on the proxy port turned off by the configuration: new connections are "
                            + "plain HTTP");
                }
                return;
            }
            final PemPair pair = read(tls);
            if (tls.equals(loadedConfig) && pair.sameAs(loaded)) {
                return;
            }
            final InForce next = build(tls, pair);
            current = next;
            loadedConfig = tls;
            loaded = pair;
            lastProblem = null;
            logger.info("TLS certificate loaded for new connections: {}", describe(tls, pair));
        } catch (RuntimeException e) {
            // Never let the watcher die, and keep what is in force: the next change may be good.
            final String problem = String.valueOf(e.getMessage());
            if (!problem.equals(lastProblem)) {
                lastProblem = problem;
                logger.warn("TLS certificate or key changed but does not load, keeping the one in force: {}; fix "
                        + "listen.tls.certificate and privateKey (PEM; the key must match the certificate)",
                        problem);
            }
        }
    }

    private static String describe(TlsConfig tls, PemPair pair) {
        final X509Certificate leaf = PemFiles.certificates(pair.certificate(), tls.certificate().toString()).get(0);
        return tls.certificate() + " (subject " + leaf.getSubjectX500Principal().getName() + ", expires "
               + leaf.getNotAfter().toInstant() + ')';
    }

    /** Stops watching the files. */
    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
