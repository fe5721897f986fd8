package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * {@code listen.tls} or {@code admin.tls}: the PEM certificate chain and private key a listener presents
 * (SPEC §4, §12), and for {@code admin.tls} the CA whose client certificates {@code /api/*} requires.
 *
 * @param certificate the certificate chain, leaf first
 * @param privateKey the leaf's private key
 * @param clientCa {@code admin.tls.clientCa}: the certificates a client certificate must chain to, or
 *        {@code null} when none is asked for ({@code listen.tls} never asks)
 */
public record TlsConfig(Path certificate, Path privateKey, Path clientCa) {
    public TlsConfig {
        requireNonNull(certificate, "certificate");
        requireNonNull(privateKey, "privateKey");
    }

    /** A certificate and key without client certificates. */
    public TlsConfig(Path certificate, Path privateKey) {
        this(certificate, privateKey, null);
    }
}
