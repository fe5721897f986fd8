package dev.privateupstream.upstream;

import static java.util.Objects.requireNonNull;

import io.netty.util.NetUtil;
import java.net.URI;

/**
 * Where an upstream lives: scheme, host and port of its {@code url}. Pools are keyed by it, so a reload
 * that keeps an upstream's URL keeps its warm connections.
 */
public record UpstreamAddress(boolean https, String host, int port) {

    public UpstreamAddress {
        requireNonNull(host, "host");
    }

    public static UpstreamAddress of(URI url) {
        final boolean https = "https".equalsIgnoreCase(url.getScheme());
        final int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        String host = url.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new UpstreamAddress(https, host, port);
    }

    /** Whether the host is an IPv4 or IPv6 address rather than a name: nothing to resolve. */
    public boolean ipLiteral() {
        return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
    }

    @Override
    public String toString() {
        return (https ? "https://" : "http://") + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
