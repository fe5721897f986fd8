package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One entry of {@code upstreams} (SPEC §4).
 *
 * @param name unique name, used in metrics and logs
 * @param resourceId the Azure resource id endpoints must point at to reach this upstream
 * @param url {@code http://host:port} or {@code https://host:port} (no path)
 * @param hosts the {@code Host} values routed here, lower case, without port; empty means any
 * @param hubPattern {@code *}, a name or a comma list; {@code null} matches any
 * @param categoryPattern likewise
 * @param eventPattern likewise
 * @param maxConnections the most connections to this upstream across event loops
 * @param caFile for an {@code https} url, the PEM certificates the backend's certificate must chain to
 *        instead of the system trust store; {@code null} for the system trust store
 * @param protocol the service that calls it, which picks the headers routing reads and the checks (SPEC §13)
 * @param idleTimeout how long a pooled connection to this upstream may sit idle before the gateway closes it;
 *        kept below the backend's own keep-alive timeout, the gateway is always the side that closes an idle
 *        connection, so a request never meets a connection the backend is closing (SPEC §4, §6)
 */
public record UpstreamConfig(
        String name,
        String resourceId,
        URI url,
        List<String> hosts,
        String hubPattern,
        String categoryPattern,
        String eventPattern,
        int maxConnections,
        Path caFile,
        UpstreamProtocol protocol,
        Duration idleTimeout) {

    /**
     * The default {@code idleTimeout}: below the shortest keep-alive timeout common backend servers default to
     * (5 s: Node.js's http server up to version 25, which Express and the Web PubSub middleware run on, Apache
     * httpd, uvicorn), so that the gateway closes an idle connection before the backend does; far below
     * Kestrel's 130 s (Azure Functions), IIS's 120 s and nginx's 75 s. An idle pool costs one new connection
     * per upstream after 4 idle seconds.
     */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(4);

    public UpstreamConfig {
        requireNonNull(name, "name");
        requireNonNull(resourceId, "resourceId");
        requireNonNull(url, "url");
        hosts = List.copyOf(hosts);
        requireNonNull(protocol, "protocol");
        requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
        }
    }

    /** An upstream whose pooled connections close after {@link #DEFAULT_IDLE_TIMEOUT} idle. */
    public UpstreamConfig(String name, String resourceId, URI url, List<String> hosts, String hubPattern,
            String categoryPattern, String eventPattern, int maxConnections, Path caFile, UpstreamProtocol protocol) {
        this(name, resourceId, url, hosts, hubPattern, categoryPattern, eventPattern, maxConnections, caFile,
                protocol, DEFAULT_IDLE_TIMEOUT);
    }

    /** A SignalR upstream. */
    public UpstreamConfig(String name, String resourceId, URI url, List<String> hosts, String hubPattern,
            String categoryPattern, String eventPattern, int maxConnections, Path caFile) {
        this(name, resourceId, url, hosts, hubPattern, categoryPattern, eventPattern, maxConnections, caFile,
                UpstreamProtocol.SIGNALR);
    }

    /** An upstream that trusts the system trust store (no {@code caFile}). */
    public UpstreamConfig(String name, String resourceId, URI url, List<String> hosts, String hubPattern,
            String categoryPattern, String eventPattern, int maxConnections) {
        this(name, resourceId, url, hosts, hubPattern, categoryPattern, eventPattern, maxConnections, null);
    }
}
