package dev.privateupstream.config;

import java.net.URI;
import java.net.URISyntaxException;
import dev.privateupstream.net.LocalHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Reads {@code sharedPrivateEndpoints.etcd} (SPEC §10). */
final class EtcdYaml {
    static final List<String> KEYS = List.of("endpoints", "prefix", "username", "password", "tls", "timeout",
            "cacheFile", "replicaId");
    static final List<String> TLS_KEYS = List.of("caFile", "certificate", "privateKey");
    // The id is the last segment of a key and a label on the admin page: keep it to plain characters.
    private static final Pattern REPLICA_ID = Pattern.compile("[A-Za-z0-9._-]{1,253}");

    private EtcdYaml() {
    }

    /** The section's content, or {@code null} when something in it is invalid (reported). */
    static EtcdConfig read(MappingReader m, Path folder) {
        int errorsBefore = m.source().errors().size();
        List<URI> endpoints = Located.values(m.list("endpoints", EtcdYaml::endpoint));
        if (endpoints.isEmpty() && m.source().errors().size() == errorsBefore) {
            m.source().error(m.line("endpoints"), m.path("endpoints"),
                    "missing (expected: the etcd members' client URLs, such as [ \"http://etcd-0.etcd:2379\" ])");
        }
        String prefix = m.value("prefix", EtcdConfig.DEFAULT_PREFIX, EtcdYaml::prefix);
        String username = m.text("username");
        String password = m.text("password");
        if ((username == null) != (password == null)) {
            String missing = username == null ? "username" : "password";
            m.source().error(m.line(missing), m.path(missing), "missing (expected: username and password together,"
                    + " or neither when etcd authentication is off)");
        }
        EtcdConfig.Tls tls = tls(m.section("tls", TLS_KEYS), folder);
        boolean https = endpoints.stream().anyMatch(u -> u.getScheme().equals("https"));
        boolean http = endpoints.stream().anyMatch(u -> u.getScheme().equals("http"));
        if (https && http) {
            m.source().error(m.line("endpoints"), m.path("endpoints"), "mixes http and https URLs (expected: "
                    + "https for every member when the cluster serves TLS, else http)");
        }
        if (m.has("tls") && http) {
            m.source().error(m.line("tls"), m.path("tls"), "set, but the endpoints use http (expected: https "
                    + "endpoints with tls)");
        }
        Duration timeout = m.value("timeout", EtcdConfig.DEFAULT_TIMEOUT, DurationSyntax::parsePositive);
        Located<Path> cacheFile = m.located("cacheFile", text -> cacheFile(folder, text));
        String replicaId = m.value("replicaId", null, EtcdYaml::replicaId);
        if (replicaId == null && !m.has("replicaId")) {
            replicaId = defaultReplicaId();
        }
        if (m.source().errors().size() != errorsBefore || replicaId == null) {
            return null;
        }
        return new EtcdConfig(endpoints, prefix, username, password, tls, timeout,
                cacheFile == null ? null : cacheFile.value(), replicaId);
    }

    private static EtcdConfig.Tls tls(MappingReader m, Path folder) {
        if (m == null) {
            return null;
        }
        Located<Path> caFile = m.located("caFile", text -> GatewayYaml.certificateFile(folder, text));
        Located<Path> certificate = m.located("certificate", text -> GatewayYaml.certificateFile(folder, text));
        Located<Path> privateKey = m.located("privateKey", text -> GatewayYaml.privateKeyFile(folder, text));
        if (m.has("certificate") != m.has("privateKey")) {
            String missing = m.has("certificate") ? "privateKey" : "certificate";
            m.source().error(m.line(missing), m.path(missing), "missing (expected: certificate and privateKey "
                    + "together, for etcd's --client-cert-auth)");
            return null;
        }
        if (certificate != null && privateKey != null && !GatewayYaml.keyPairMatches(m, certificate, privateKey)) {
            return null;
        }
        return new EtcdConfig.Tls(caFile == null ? null : caFile.value(),
                certificate == null ? null : certificate.value(), privateKey == null ? null : privateKey.value());
    }

    /** {@code scheme://host:port}, lower case, nothing after the authority. */
    static URI endpoint(String text) {
        String expected = "(expected: http://HOST:PORT or https://HOST:PORT of an etcd member's client URL, "
                + "such as http://etcd-0.etcd:2379)";
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason() + " " + expected);
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme) || uri.isOpaque() || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + text + "' is not an http or https URL with a host " + expected);
        }
        String path = uri.getRawPath();
        if (uri.getRawUserInfo() != null || path != null && !path.isEmpty() && !path.equals("/")
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("'" + text + "' has more than scheme, host and port " + expected);
        }
        int port = uri.getPort() > 0 ? uri.getPort() : 2379;
        return URI.create(scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port);
    }

    private static String prefix(String text) {
        if (text.isEmpty() || !text.endsWith("/") || text.chars().anyMatch(c -> c < 0x21 || c == 0x7F)) {
            throw new IllegalArgumentException("'" + text + "' (expected: a key prefix without spaces that ends "
                    + "with '/', such as " + EtcdConfig.DEFAULT_PREFIX + "; without the '/' it would also take the"
                    + " keys of a longer prefix)");
        }
        return text;
    }

    private static String replicaId(String text) {
        if (!REPLICA_ID.matcher(text.trim()).matches()) {
            throw new IllegalArgumentException("'" + text + "' (expected: letters, digits, '.', '_' and '-' only,"
                    + " such as the pod name ${HOSTNAME})");
        }
        return text.trim();
    }

    /** The host name, as the SPEC's default, with any character a key should not hold replaced. */
    private static String defaultReplicaId() {
        return LocalHost.name().trim().replaceAll("[^A-Za-z0-9._-]", "-");
    }

    /**
     * The cache file, relative to this file's folder. Its folder is not required to exist here: it is often a
     * volume that exists only where the gateway runs (an emptyDir in Kubernetes); the gateway says at start
     * when it cannot write there.
     */
    private static Path cacheFile(Path folder, String text) {
        Path file = GatewayYaml.path(folder, text);
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException("'" + text + "': " + file + " is a folder (expected: a file path)");
        }
        return file;
    }
}
