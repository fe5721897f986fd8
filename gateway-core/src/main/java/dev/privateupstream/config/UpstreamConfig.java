package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
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
        UpstreamProtocol protocol) {

    public UpstreamConfig {
        requireNonNull(name, "name");
        requireNonNull(resourceId, "resourceId");
        requireNonNull(url, "url");
        hosts = List.copyOf(hosts);
        requireNonNull(protocol, "protocol");
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
