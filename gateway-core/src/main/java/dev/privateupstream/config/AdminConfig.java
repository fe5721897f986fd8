package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

/**
 * {@code admin.*}: the admin server (SPEC §7).
 *
 * @param address bind address, default {@code 127.0.0.1}
 * @param port port, default {@code 9090}; {@code 0} for any free one
 * @param token the bearer token {@code /api/*} requires, or {@code null} when none is configured (then
 *        every {@code /api/*} call is refused)
 */
public record AdminConfig(String address, int port, String token) {
    public AdminConfig {
        requireNonNull(address, "address");
    }
}
