package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Where the etcd cluster is and how to talk to it.
 *
 * @param endpoints the members' client URLs ({@code http://host:port} or {@code https://host:port}), tried in
 *        this order and then round
 * @param username with {@code password}: authenticate as this user; {@code null} when auth is off
 * @param password the user's password; {@code null} when auth is off
 * @param caFile for https endpoints: the PEM certificates to trust; {@code null} for the JDK's trust store
 * @param certificate for https endpoints: a PEM client certificate (chain) to present, with {@code privateKey};
 *        {@code null} for none
 * @param privateKey the client certificate's unencrypted PEM key; {@code null} for none
 * @param timeout how long any call may take at most, connecting and waiting for the answer included
 */
public record EtcdClientSettings(List<URI> endpoints, String username, String password, Path caFile,
        Path certificate, Path privateKey, Duration timeout) {
    public EtcdClientSettings {
        endpoints = List.copyOf(requireNonNull(endpoints, "endpoints"));
        requireNonNull(timeout, "timeout");
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("endpoints: empty (expected: at least one http(s)://host:port)");
        }
        for (URI endpoint : endpoints) {
            final String scheme = endpoint.getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme) || endpoint.getHost() == null
                || endpoint.getPort() < 0 || endpoint.getPath() != null && !endpoint.getPath().isEmpty()
                   && !"/".equals(endpoint.getPath())) {
                throw new IllegalArgumentException("endpoint: " + endpoint + " (expected: http://host:port or "
                        + "https://host:port)");
            }
        }
        if ((username == null) != (password == null)) {
            throw new IllegalArgumentException("username and password: give both or neither");
        }
        if ((certificate == null) != (privateKey == null)) {
            throw new IllegalArgumentException("certificate and privateKey: give both or neither");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
        }
    }

    /** Plain endpoints, no auth, no client certificate. */
    public static EtcdClientSettings of(List<URI> endpoints, Duration timeout) {
        return new EtcdClientSettings(endpoints, null, null, null, null, null, timeout);
    }

    public EtcdClientSettings withCredentials(String username, String password) {
        return new EtcdClientSettings(endpoints, requireNonNull(username, "username"),
                requireNonNull(password, "password"), caFile, certificate, privateKey, timeout);
    }

    public EtcdClientSettings withTls(Path caFile, Path certificate, Path privateKey) {
        return new EtcdClientSettings(endpoints, username, password, caFile, certificate, privateKey, timeout);
    }

    /** Whether any endpoint is https. */
    boolean usesTls() {
        return endpoints.stream().anyMatch(endpoint -> "https".equals(endpoint.getScheme()));
    }

    // The password stays out of logs and exception messages.
    @Override
    public String toString() {
        return "EtcdClientSettings[endpoints=" + endpoints + (username == null ? "" : ", username=" + username)
               + (caFile == null ? "" : ", caFile=" + caFile) + (certificate == null ? "" : ", certificate="
               + certificate) + ", timeout=" + timeout + ']';
    }
}
