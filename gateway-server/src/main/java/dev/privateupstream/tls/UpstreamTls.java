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
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * <p>One client context per trust source ({@link TrustRoots}), built when the configuration in force first
 * names a CA file (the system trust store: when a pool for such an upstream is first made) and shared by
 * every event loop. Like the proxy port's certificate ({@link ServerTls}), each
 * CA file in use is then watched: a small daemon thread, started with the first one, reads them every
 * {@code pollMillis} and, when a file's content changed, builds a new context off the event loops and
 * swaps it in for the connections made afterwards. The content is compared, not the modification time,
 * so a rewrite within one timestamp tick or a Kubernetes secret's symlink swap is seen too. A file that
 * does not load (half-written, no certificate, unreadable) is logged once, naming it and what is wrong,
 * and the trust roots in force stay. The system trust store is read once.
 *
 * <p>A CA file named by no upstream any more is still read until the process ends: pools are never
 * dropped either, and both are a handful.
 */
public final class UpstreamTls implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(UpstreamTls.class);
    private static final long DEFAULT_POLL_MILLIS = 1000;

    private final TlsProvider provider;
    private final long pollMillis;
    private final Map<Path, TrustRoots> byCaFile = new ConcurrentHashMap<>();
    private volatile TrustRoots systemTrust;
    /** Started with the first CA file, so that a gateway without one runs no watcher thread. */
    private ScheduledExecutorService watcher;
    private boolean closed;

    public UpstreamTls() {
        this(TlsProvider.best(), DEFAULT_POLL_MILLIS);
    }

    UpstreamTls(TlsProvider provider, long pollMillis) {
        this.provider = requireNonNull(provider, "provider");
        this.pollMillis = pollMillis;
    }

    /**
     * The trust roots of {@code caFile}, or of the system trust store when it is {@code null}. The first call
     * for a file loads it on the calling thread (the configuration's, once per file) and starts watching it;
     * later calls return the same roots. A file that does not load gives roots without a context until it
     * does (see {@link TrustRoots#current()}), logged.
     */
    public TrustRoots trust(Path caFile) {
        if (caFile == null) {
            return systemTrust();
        }
        final TrustRoots known = byCaFile.get(caFile);
        if (known != null) {
            return known;
        }
        // Not computeIfAbsent: reading and parsing a file inside the map's lock would hold up every other
        // loop looking up any file in the same bin. Two loops may both load it; one result is kept.
        final TrustRoots fresh = new TrustRoots(caFile, null);
        refresh(fresh);
        final TrustRoots raced = byCaFile.putIfAbsent(caFile, fresh);
        if (raced != null) {
            return raced;
        }
        watch();
        return fresh;
    }

    private TrustRoots systemTrust() {
        TrustRoots system = systemTrust;
        if (system != null) {
            return system;
        }
        try {
            system = new TrustRoots(null, build(null));
        } catch (IllegalArgumentException e) {
            // Not kept: the next pool made tries again. Its calls fail (502) rather than the client connection.
            logger.error("TLS to upstreams: the system trust store does not load, calls to https upstreams "
                    + "without a caFile fail: {}; set upstreams[].caFile, or repair the Java runtime's cacerts",
                    e.getMessage());
            return new TrustRoots(null, null);
        }
        logger.info("TLS to upstreams: provider {}, trusting the system trust store", provider.describe());
        systemTrust = system;
        return system;
    }

    private synchronized void watch() {
        if (watcher != null || closed) {
            return;
        }
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "gateway-upstream-tls-watch");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::poll, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
    }

    private void poll() {
        for (TrustRoots trust : byCaFile.values()) {
            try {
                refresh(trust);
            } catch (RuntimeException e) {
                // Never let the watcher die, and keep what is in force: the next change may be good.
                problem(trust, trust.caFile() + ": " + e);
            }
        }
    }

    /** Reads the CA file; when its content changed, loads it and swaps it in, or logs why it cannot. */
    private void refresh(TrustRoots trust) {
        final Path file = trust.caFile();
        final byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            problem(trust, file + ": cannot be read (" + e + ')');
            return;
        }
        if (Arrays.equals(content, trust.loaded)) {
            trust.lastProblem = null; // back to what is in force: a later bad write is news again
            return;
        }
        final List<X509Certificate> roots;
        final SslContext next;
        try {
            roots = PemFiles.certificates(content, file.toString());
            next = build(roots);
        } catch (IllegalArgumentException e) {
            problem(trust, e.getMessage()); // PemFiles' messages start with the file
            return;
        }
        final boolean first = trust.loaded == null;
        trust.swap(next, content, PemFiles.earliestExpiry(roots));
        if (first) {
            logger.info("TLS to upstreams: provider {}, trusting {}", provider.describe(), describe(file, roots));
        } else {
            logger.info("TLS to upstreams: trust roots reloaded for new connections from {}", describe(file, roots));
        }
    }

    private static void problem(TrustRoots trust, String problem) {
        if (problem.equals(trust.lastProblem)) {
            return;
        }
        trust.lastProblem = problem;
        if (trust.current() == null) {
            logger.warn("TLS to upstreams: CA file does not load, calls to the upstreams that trust it fail until "
                    + "it does: {}; fix upstreams[].caFile (PEM certificates)", problem);
        } else {
            logger.warn("TLS to upstreams: CA file changed but does not load, keeping the trust roots in force: {}; "
                    + "fix upstreams[].caFile (PEM certificates)", problem);
        }
    }

    private static String describe(Path file, List<X509Certificate> roots) {
        final StringBuilder text = new StringBuilder().append(file).append(" (");
        for (int i = 0; i < roots.size(); i++) {
            final X509Certificate root = roots.get(i);
            text.append(i == 0 ? "" : "; ").append(root.getSubjectX500Principal().getName()).append(", expires ")
                    .append(root.getNotAfter().toInstant());
        }
        return text.append(')').toString();
    }

    /**
     * A client context trusting {@code roots}, or the system trust store when {@code null}.
     *
     * @throws IllegalArgumentException when the provider refuses the certificates
     */
    private SslContext build(List<X509Certificate> roots) {
        final SslContextBuilder builder = SslContextBuilder.forClient()
                .sslProvider(provider.sslProvider())
                .protocols(TlsProvider.PROTOCOLS)
                .endpointIdentificationAlgorithm("HTTPS");
        if (roots != null) {
            builder.trustManager(roots);
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalArgumentException(provider + " refused the trust roots: " + e.getMessage(), e);
        }
    }

    /** Stops watching the CA files; the trust roots in force stay usable. */
    @Override
    public synchronized void close() {
        closed = true;
        if (watcher != null) {
            watcher.shutdownNow();
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
