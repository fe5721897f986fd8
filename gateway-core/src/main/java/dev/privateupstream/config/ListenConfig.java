package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.net.IpPrefix;
import java.util.List;

/**
 * {@code listen.*}: where the proxy listens and how it learns the caller (SPEC §4).
 *
 * @param address the bind address, default {@code 0.0.0.0}
 * @param port the port, {@code 0} for any free one
 * @param tls TLS termination, or {@code null} for plain HTTP
 * @param proxyProtocol whether connections start with a PROXY protocol header
 * @param trustedProxies peers whose PROXY or forwarded header is believed
 * @param forwardedHeader the header that names the caller when the peer is trusted
 * @param rejectAtConnect close connections whose source can never be allowed at accept
 */
public record ListenConfig(
        String address,
        int port,
        TlsConfig tls,
        ProxyProtocolMode proxyProtocol,
        List<IpPrefix> trustedProxies,
        ForwardedHeader forwardedHeader,
        boolean rejectAtConnect) {

    public ListenConfig {
        requireNonNull(address, "address");
        requireNonNull(proxyProtocol, "proxyProtocol");
        trustedProxies = List.copyOf(trustedProxies);
        requireNonNull(forwardedHeader, "forwardedHeader");
    }

    /** {@code listen.proxyProtocol}. */
    public enum ProxyProtocolMode {
        DISABLED, OPTIONAL, REQUIRED
    }

    /** {@code listen.forwardedHeader}. */
    public enum ForwardedHeader {
        NONE, X_FORWARDED_FOR
    }
}
