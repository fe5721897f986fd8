package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.nio.file.Path;
import java.util.List;

/**
 * The whole validated configuration: {@code gateway.yaml} and the endpoints file it names (SPEC §4).
 *
 * @param file the main configuration file
 * @param listen the proxy listener
 * @param limits request limits and timeouts
 * @param admin the admin server
 * @param signalr SignalR upstream settings, or {@code null} when the section is absent
 * @param webpubsub the checks on Web PubSub event-handler calls (SPEC §13), or {@code null} when the section
 *        is absent
 * @param upstreams the upstreams in file order (routing takes the first that matches)
 * @param endpointsFile the shared private endpoints file, resolved against {@code file}'s folder, or
 *        {@code null} when the endpoints live in etcd
 * @param etcd the shared store of the endpoints (SPEC §10), or {@code null} when they live in
 *        {@code endpointsFile}; exactly one of the two is set
 * @param endpoints the endpoints in force, in store order (file order, or key order in etcd)
 * @param tracing OpenTelemetry tracing (SPEC §12), or {@code null} when the section is absent (tracing off)
 */
public record GatewayConfig(
        Path file,
        ListenConfig listen,
        LimitsConfig limits,
        AdminConfig admin,
        SignalRConfig signalr,
        WebPubSubConfig webpubsub,
        List<UpstreamConfig> upstreams,
        Path endpointsFile,
        EtcdConfig etcd,
        List<SharedPrivateEndpoint> endpoints,
        TracingConfig tracing) {

    public GatewayConfig {
        requireNonNull(file, "file");
        requireNonNull(listen, "listen");
        requireNonNull(limits, "limits");
        requireNonNull(admin, "admin");
        upstreams = List.copyOf(upstreams);
        if ((endpointsFile == null) == (etcd == null)) {
            throw new IllegalArgumentException("endpointsFile and etcd: expected exactly one");
        }
        endpoints = List.copyOf(endpoints);
    }

    /** A configuration without a {@code tracing} section. */
    public GatewayConfig(Path file, ListenConfig listen, LimitsConfig limits, AdminConfig admin,
            SignalRConfig signalr, WebPubSubConfig webpubsub, List<UpstreamConfig> upstreams, Path endpointsFile,
            EtcdConfig etcd, List<SharedPrivateEndpoint> endpoints) {
        this(file, listen, limits, admin, signalr, webpubsub, upstreams, endpointsFile, etcd, endpoints, null);
    }

    /** A configuration without a {@code webpubsub} or {@code tracing} section. */
    public GatewayConfig(Path file, ListenConfig listen, LimitsConfig limits, AdminConfig admin,
            SignalRConfig signalr, List<UpstreamConfig> upstreams, Path endpointsFile, EtcdConfig etcd,
            List<SharedPrivateEndpoint> endpoints) {
        this(file, listen, limits, admin, signalr, null, upstreams, endpointsFile, etcd, endpoints);
    }

    /** The same configuration with another set of endpoints (admin API changes, endpoints file reloads). */
    public GatewayConfig withEndpoints(List<SharedPrivateEndpoint> newEndpoints) {
        return new GatewayConfig(file, listen, limits, admin, signalr, webpubsub, upstreams, endpointsFile, etcd,
                newEndpoints, tracing);
    }

    /** Where the endpoints live, for messages: the endpoints file, or {@code etcd PREFIX at URLS}. */
    public String endpointStoreName() {
        return etcd == null ? endpointsFile.toString()
                : "etcd " + etcd.endpointsPrefix() + " at " + etcd.endpoints();
    }
}
