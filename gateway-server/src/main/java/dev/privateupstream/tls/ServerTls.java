package dev.privateupstream.tls;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.PemFiles;
import dev.privateupstream.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
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
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS termination on one listener: the proxy port ({@code listen.tls}, SPEC §4) or the admin port
 * ({@code admin.tls}, SPEC §12), one instance each. It holds the server {@link SslContext} in force, which
 * the listener's channel initializer reads once per accepted connection.
 *
 * <p>A small daemon thread reads the certificate and key files (and the client CA file, when there is one)
 * every {@code pollMillis} and, when their content changed, builds a new context off the event loops and
 * swaps it in: connections accepted afterwards present the new certificate and trust the new client CA,
 * open ones keep theirs. The content is compared, not the modification time, so a rewrite within one
 * timestamp tick or a Kubernetes secret's symlink swap is seen too. New files that do not load
 * (half-written, key of another certificate) are logged once and the previous context stays. The files
 * named by the configuration in force are the ones watched, so a configuration reload that changes the
 * section applies the same way, and one that adds or removes it turns TLS on or off for the connections
 * accepted afterwards (a warning when off).
 *
 * <p>With a client CA ({@code admin.tls.clientCa}) the server asks every client for a certificate but lets
 * the handshake go on without one ({@link ClientAuth#OPTIONAL}), so that probes and scrapers need none: what
 * requires one is up to the listener ({@link #clientCertificateMissing}). A certificate that is presented
 * must chain to the CA, or the handshake fails: a wrong certificate is refused, never read as none.
 *
 * <p>TLS 1.2 and 1.3 only, with BoringSSL when available ({@link TlsProvider}).
 */
public final class ServerTls implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(ServerTls.class);
    private static final long DEFAULT_POLL_MILLIS = 1000;

    private final String key;
    private final String port;
    private final Supplier<TlsConfig> config;
    private final TlsProvider provider;
    private final ScheduledExecutorService watcher;
    private volatile InForce current;
    // Poll state, touched only by the watcher thread (and the constructor before it starts).
    private TlsConfig loadedConfig;
    private PemFilesRead loaded;
    /** The last problem logged, so a pair that stays bad is logged once, not every second. */
    private String lastProblem;

    private ServerTls(String key, String port, Supplier<TlsConfig> config, TlsProvider provider, long pollMillis) {
        this.key = key;
        this.port = port;
        this.config = config;
        this.provider = provider;
        final TlsConfig initial = config.get();
        if (initial != null) {
            final PemFilesRead files = read(initial);
            try {
                current = build(initial, files);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(key + ": " + e.getMessage(), e);
            }
            loadedConfig = initial;
            loaded = files;
            logger.info("TLS provider: {}; the {} speaks {} with certificate {}", provider.describe(), port,
                    String.join(" and ", TlsProvider.PROTOCOLS), describe(initial, files));
        }
        final String threadName = "gateway-" + key.replace('.', '-') + "-watch";
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::poll, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Loads the proxy port's TLS configuration in force ({@code listen.tls}) and watches its files.
     *
     * @param config the {@code listen.tls} in force, {@code null} for plain HTTP; read at every poll
     * @throws IllegalStateException when the initial files do not load: nothing starts half-configured
     */
    public static ServerTls start(Supplier<TlsConfig> config) {
        return start("listen.tls", "proxy port", config);
    }

    /**
     * Loads a listener's TLS configuration in force and watches its files.
     *
     * @param key the configuration key, as logs and errors name it ({@code admin.tls})
     * @param port the listener, as logs name it ({@code admin port})
     * @param config that section in force, {@code null} for plain HTTP; read at every poll
     * @throws IllegalStateException when the initial files do not load: nothing starts half-configured
     */
    public static ServerTls start(String key, String port, Supplier<TlsConfig> config) {
        return new ServerTls(requireNonNull(key, "key"), requireNonNull(port, "port"),
                requireNonNull(config, "config"), TlsProvider.best(), DEFAULT_POLL_MILLIS);
    }

    /** Like {@link #start(Supplier)} with a chosen provider and poll interval (tests). */
    static ServerTls start(Supplier<TlsConfig> config, TlsProvider provider, long pollMillis) {
        return start("listen.tls", "proxy port", config, provider, pollMillis);
    }

    /** Like {@link #start(String, String, Supplier)} with a chosen provider and poll interval (tests). */
    static ServerTls start(String key, String port, Supplier<TlsConfig> config, TlsProvider provider,
            long pollMillis) {
        return new ServerTls(requireNonNull(key, "key"), requireNonNull(port, "port"),
                requireNonNull(config, "config"), requireNonNull(provider, "provider"), pollMillis);
    }

    /** The context for the next connection, or {@code null} when the port is plain HTTP. */
    public SslContext current() {
        final InForce inForce = current;
        return inForce == null ? null : inForce.context();
    }

    /**
     * When the chain in force stops being valid: the earliest {@code notAfter} of its certificates (the leaf's,
     * unless an intermediate expires first); {@code null} when the port is plain HTTP.
     */
    public Instant expiry() {
        final InForce inForce = current;
        return inForce == null ? null : inForce.expiry();
    }

    /**
     * A TLS handler for a new connection with the certificate (and client CA) in force, or {@code null} when
     * the port is plain HTTP.
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

    /**
     * Whether {@code engine}'s connection was asked for a client certificate (its context had a client CA)
     * and has none. A certificate that does not chain to the CA never gets this far: its handshake failed.
     * Call it once the handshake is done (when the connection's first request arrives).
     */
    public static boolean clientCertificateMissing(SSLEngine engine) {
        if (!engine.getWantClientAuth() && !engine.getNeedClientAuth()) {
            return false;
        }
        try {
            return engine.getSession().getPeerCertificates().length == 0;
        } catch (SSLPeerUnverifiedException e) {
            return true;
        }
    }

    /** The server context in force and when its chain expires. */
    private record InForce(SslContext context, Instant expiry) {
    }

    /** The files as read, to compare with the next poll; {@code clientCa} {@code null} when there is none. */
    private record PemFilesRead(byte[] certificate, byte[] key, byte[] clientCa) {
        boolean sameAs(PemFilesRead other) {
            return other != null && Arrays.equals(certificate, other.certificate) && Arrays.equals(key, other.key)
                    && Arrays.equals(clientCa, other.clientCa);
        }
    }

    private PemFilesRead read(TlsConfig tls) {
        try {
            return new PemFilesRead(Files.readAllBytes(tls.certificate()), Files.readAllBytes(tls.privateKey()),
                    tls.clientCa() == null ? null : Files.readAllBytes(tls.clientCa()));
        } catch (IOException e) {
            throw new IllegalStateException(key + ": cannot read " + e.getMessage(), e);
        }
    }

    /**
     * Builds a server context from the bytes read, with the checks validation makes (PemFiles).
     *
     * @throws IllegalArgumentException when the files do not hold a matching certificate chain and key, or
     *         the client CA file holds no certificate
     */
    private InForce build(TlsConfig tls, PemFilesRead files) {
        final List<X509Certificate> chain = PemFiles.certificates(files.certificate(), tls.certificate().toString());
        final PrivateKey privateKey = PemFiles.privateKey(files.key(), tls.privateKey().toString());
        PemFiles.checkKeyPair(chain.get(0), privateKey, tls.privateKey().toString());
        final SslContextBuilder builder = SslContextBuilder.forServer(privateKey, chain)
                .sslProvider(provider.sslProvider())
                .protocols(TlsProvider.PROTOCOLS);
        if (files.clientCa() != null) {
            // Asked for, not required: /healthz, /readyz and /metrics serve probes and scrapers without one.
            builder.trustManager(PemFiles.certificates(files.clientCa(), tls.clientCa().toString()))
                    .clientAuth(ClientAuth.OPTIONAL);
        }
        try {
            return new InForce(builder.build(), PemFiles.earliestExpiry(chain));
        } catch (SSLException e) {
            throw new IllegalArgumentException(provider + " refused the certificate and key: " + e.getMessage(), e);
        }
    }

    private void poll() {
        final TlsConfig tls = config.get();
        if (tls == null) {
            if (current != null) {
                current = null;
                loadedConfig = null;
                loaded = null;
                logger.warn("TLS on the {} turned off by the configuration ({} removed): new connections are "
                        + "plain HTTP", port, key);
            }
            return;
        }
        try {
            final PemFilesRead files = read(tls);
            if (tls.equals(loadedConfig) && files.sameAs(loaded)) {
                return;
            }
            final InForce next = build(tls, files);
            current = next;
            loadedConfig = tls;
            loaded = files;
            lastProblem = null;
            logger.info("TLS certificate of the {} loaded for new connections: {}", port, describe(tls, files));
        } catch (RuntimeException e) {
            // Never let the watcher die, and keep what is in force: the next change may be good.
            final String problem = String.valueOf(e.getMessage());
            if (!problem.equals(lastProblem)) {
                lastProblem = problem;
                logger.warn("TLS files of the {} changed but do not load, keeping the ones in force: {}; fix "
                        + "{}.certificate and privateKey (PEM; the key must match the certificate){}", port, problem,
                        key, tls.clientCa() == null ? "" : " and clientCa (PEM certificates)");
            }
        }
    }

    private static String describe(TlsConfig tls, PemFilesRead files) {
        final X509Certificate leaf = PemFiles.certificates(files.certificate(), tls.certificate().toString()).get(0);
        final String served = tls.certificate() + " (subject " + leaf.getSubjectX500Principal().getName()
                + ", expires " + leaf.getNotAfter().toInstant() + ')';
        if (files.clientCa() == null) {
            return served;
        }
        final StringBuilder text = new StringBuilder(served).append(", asking clients for a certificate signed by ")
                .append(tls.clientCa()).append(" (");
        final List<X509Certificate> roots = PemFiles.certificates(files.clientCa(), tls.clientCa().toString());
        for (int i = 0; i < roots.size(); i++) {
            text.append(i == 0 ? "" : "; ").append(roots.get(i).getSubjectX500Principal().getName());
        }
        return text.append(')').toString();
    }

    /** Stops watching the files. */
    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
