package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * {@code listen.tls}: PEM certificate chain and private key for TLS termination (SPEC §4).
 */
public record TlsConfig(Path certificate, Path privateKey) {
    public TlsConfig {
        requireNonNull(certificate, "certificate");
        requireNonNull(privateKey, "privateKey");
    }
}
