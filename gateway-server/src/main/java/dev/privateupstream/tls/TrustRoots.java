package dev.privateupstream.tls;

import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The trust roots that {@code https} upstreams sharing one {@code caFile} (or the system trust store) verify
 * their backends with: the client {@link SslContext} in force. A backend connection reads it once, as it
 * is made; {@link UpstreamTls} swaps in a new one when the file's content changes and loads.
 */
public final class TrustRoots {
    private final Path caFile;
    private volatile SslContext current;
    private volatile Instant expiry;
    // Poll state, touched only by the thread that first loads the file and then (after the roots are
    // published through UpstreamTls's map) by the watcher thread.
    /** The file content {@link #current} was built from; {@code null} until it first loads. */
    byte[] loaded;
    /** The last problem logged, so a file that stays bad is logged once, not every second. */
    String lastProblem;

    TrustRoots(Path caFile, SslContext initial) {
        this.caFile = caFile;
        this.current = initial;
    }

    /**
     * The context for the next backend connection; {@code null} while the CA file has never loaded, when
     * connections are closed as soon as they connect (each call gets {@code 502}).
     */
    public SslContext current() {
        return current;
    }

    /**
     * When the first of the roots in force expires (the earliest {@code notAfter} in the CA file); {@code null}
     * for the system trust store and while the CA file has never loaded.
     */
    public Instant expiry() {
        return expiry;
    }

    /** The CA file, or {@code null} for the system trust store (never reloaded). */
    public Path caFile() {
        return caFile;
    }

    void swap(SslContext next, byte[] content, Instant nextExpiry) {
        current = next;
        expiry = nextExpiry;
        loaded = content;
        lastProblem = null;
    }
}
