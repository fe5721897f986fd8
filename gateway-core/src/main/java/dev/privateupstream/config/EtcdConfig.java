package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code sharedPrivateEndpoints.etcd}: the endpoints live in an etcd v3 cluster that every replica shares
 * (SPEC §10).
 *
 * @param endpoints the members' client URLs, {@code http://HOST:PORT} or {@code https://HOST:PORT}
 * @param prefix every key the gateway reads or writes starts with it; ends with {@code /}
 * @param username the etcd user, or {@code null} when etcd authentication is off
 * @param password the user's password, or {@code null} exactly when {@code username} is
 * @param tls client TLS settings, or {@code null}
 * @param timeout the deadline of one store request
 * @param cacheFile the set last in force, rewritten after each change, or {@code null}
 * @param replicaId this replica's name in the registry
 */
public record EtcdConfig(
        List<URI> endpoints,
        String prefix,
        String username,
        String password,
        Tls tls,
        Duration timeout,
        Path cacheFile,
        String replicaId) {

    public static final String DEFAULT_PREFIX = "/private-upstream/";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    public EtcdConfig {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("endpoints: empty (expected at least one etcd member)");
        }
        requireNonNull(prefix, "prefix");
        requireNonNull(timeout, "timeout");
        requireNonNull(replicaId, "replicaId");
        if ((username == null) != (password == null)) {
            throw new IllegalArgumentException("username and password: expected both or neither");
        }
    }

    /** {@code PREFIX + "endpoints/"}: one key per endpoint below it. */
    public String endpointsPrefix() {
        return prefix + "endpoints/";
    }

    /** {@code PREFIX + "replicas/"}: one key per live replica below it, bound to its lease. */
    public String replicasPrefix() {
        return prefix + "replicas/";
    }

    /**
     * {@code sharedPrivateEndpoints.etcd.tls}.
     *
     * @param caFile the CA certificates that verify the members, or {@code null} for the JDK's trust store
     * @param certificate the client certificate chain, or {@code null}
     * @param privateKey its private key, or {@code null} exactly when {@code certificate} is
     */
    public record Tls(Path caFile, Path certificate, Path privateKey) {
        public Tls {
            if ((certificate == null) != (privateKey == null)) {
                throw new IllegalArgumentException("certificate and privateKey: expected both or neither");
            }
        }
    }
}
