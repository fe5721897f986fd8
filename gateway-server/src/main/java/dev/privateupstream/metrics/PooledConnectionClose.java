package dev.privateupstream.metrics;

import java.util.Locale;

/**
 * The {@code reason} label of {@code gateway_upstream_connections_closed_total}: why a pooled backend
 * connection left its pool without serving another request.
 */
public enum PooledConnectionClose {
    /** The gateway closed it after the upstream's {@code idleTimeout} in the pool: the planned way. */
    IDLE,
    /**
     * The backend closed it while it sat in the pool (noticed while idle, or when it was about to be lent,
     * before any byte of a request was written): its keep-alive is shorter than {@code idleTimeout}.
     */
    STALE;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }
}
