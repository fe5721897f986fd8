package dev.privateupstream.tls;

import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;

/**
 * The trust roots that {@code https} upstreams sharing one {@code caFile} (or the system trust store) verify
 * their backends with: the client {@link SslContext} in force. A backend connection reads it once, as it
 * is made; {@link UpstreamTls} swaps in a new one when the file's content changes and loads.
 */
public final class TrustRoots {
    private final Path caFile;
    private volatile SslContext current;
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

    /** The CA file, or {@code null} for the system trust store (never reloaded). */
    public Path caFile() {
        return caFile;
    }

    void swap(SslContext next, byte[] content) {
        current = next;
        loaded = content;
        lastProblem = null;
    }
}
