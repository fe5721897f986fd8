package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * {@code limits.*}: sizes and timeouts the proxy enforces (SPEC §4).
 *
 * @param sendTimeout how long a response may stay unwritable to its client (the client does not read) before
 *        the connection is closed
 */
public record LimitsConfig(
        int maxHeaderBytes,
        long maxBodyBytes,
        Duration headerTimeout,
        Duration idleTimeout,
        Duration drainTimeout,
        Duration upstreamConnectTimeout,
        Duration upstreamResponseTimeout,
        Duration sendTimeout) {

    /** SPEC §4's default of {@code limits.sendTimeout}. */
    public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(30);

    /** SPEC §4 defaults. */
    public static final LimitsConfig DEFAULTS = new LimitsConfig(16384, 1048576, Duration.ofSeconds(10),
            Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(30),
            DEFAULT_SEND_TIMEOUT);

    public LimitsConfig {
        requireNonNull(headerTimeout, "headerTimeout");
        requireNonNull(idleTimeout, "idleTimeout");
        requireNonNull(drainTimeout, "drainTimeout");
        requireNonNull(upstreamConnectTimeout, "upstreamConnectTimeout");
        requireNonNull(upstreamResponseTimeout, "upstreamResponseTimeout");
        requireNonNull(sendTimeout, "sendTimeout");
    }

    /** The limits before {@code sendTimeout} existed, with its default. */
    public LimitsConfig(int maxHeaderBytes, long maxBodyBytes, Duration headerTimeout, Duration idleTimeout,
            Duration drainTimeout, Duration upstreamConnectTimeout, Duration upstreamResponseTimeout) {
        this(maxHeaderBytes, maxBodyBytes, headerTimeout, idleTimeout, drainTimeout, upstreamConnectTimeout,
                upstreamResponseTimeout, DEFAULT_SEND_TIMEOUT);
    }
}
