package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * {@code limits.*}: sizes and timeouts the proxy enforces (SPEC §4).
 */
public record LimitsConfig(
        int maxHeaderBytes,
        long maxBodyBytes,
        Duration headerTimeout,
        Duration idleTimeout,
        Duration drainTimeout,
        Duration upstreamConnectTimeout,
        Duration upstreamResponseTimeout) {

    /** SPEC §4 defaults. */
    public static final LimitsConfig DEFAULTS = new LimitsConfig(16384, 1048576, Duration.ofSeconds(10),
            Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(30));

    public LimitsConfig {
        requireNonNull(headerTimeout, "headerTimeout");
        requireNonNull(idleTimeout, "idleTimeout");
        requireNonNull(drainTimeout, "drainTimeout");
        requireNonNull(upstreamConnectTimeout, "upstreamConnectTimeout");
        requireNonNull(upstreamResponseTimeout, "upstreamResponseTimeout");
    }
}
