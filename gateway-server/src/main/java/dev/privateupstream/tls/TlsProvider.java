package dev.privateupstream.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

/**
 * The TLS implementation in use: BoringSSL through {@code netty-tcnative-boringssl-static} when its native
 * library loads (faster handshakes, less garbage), the JDK's otherwise. The choice is made once per
 * process, like the socket transport's.
 */
enum TlsProvider {
    BORINGSSL, JDK;

    /** The protocols the gateway speaks, both ways: nothing older than TLS 1.2. */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /** BoringSSL when available. */
    static TlsProvider best() {
        return OpenSsl.isAvailable() ? BORINGSSL : JDK;
    }

    SslProvider sslProvider() {
        return this == BORINGSSL ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** For the log: which library, which version, and for the JDK why BoringSSL is not in use. */
    String describe() {
        if (this == BORINGSSL) {
            final String tcnative = io.netty.internal.tcnative.SSL.class.getPackage().getImplementationVersion();
            return OpenSsl.versionString() + " (netty-tcnative " + (tcnative == null ? "unknown version" : tcnative)
                   + ')';
        }
        return "JDK " + System.getProperty("java.version") + " (BoringSSL unavailable: "
               + OpenSsl.unavailabilityCause() + ')';
    }
}
