package dev.privateupstream.config;

import dev.privateupstream.config.ListenConfig.ForwardedHeader;
import dev.privateupstream.config.ListenConfig.ProxyProtocolMode;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The content of {@code gateway.yaml}, read and checked: every section but the endpoints, which live in
 * their own file (SPEC §4).
 *
 * @param webpubsub {@code webpubsub}, or {@code null} when absent
 * @param endpointsFile {@code sharedPrivateEndpoints.file} resolved against the folder of
 *        {@code gateway.yaml}, or {@code null} when the endpoints live in etcd or it could not be read
 * @param etcd {@code sharedPrivateEndpoints.etcd}, or {@code null} when the endpoints live in a file or it
 *        could not be read
 * @param tracing {@code tracing}, or {@code null} when absent (tracing off)
 */
record GatewayYaml(
        ListenConfig listen,
        LimitsConfig limits,
        AdminConfig admin,
        SignalRConfig signalr,
        WebPubSubConfig webpubsub,
        UpstreamsYaml upstreams,
        Located<Path> endpointsFile,
        EtcdConfig etcd,
        TracingConfig tracing) {

    static final List<String> KEYS = List.of("listen", "limits", "admin", "signalr", "webpubsub",
            "upstreams", "sharedPrivateEndpoints", "tracing");
    static final List<String> LISTEN_KEYS = List.of("address", "port", "tls", "proxyProtocol", "trustedProxies",
            "forwardedHeader", "rejectAtConnect");
    static final List<String> TLS_KEYS = List.of("certificate", "privateKey");
    static final List<String> LIMITS_KEYS = List.of("maxHeaderBytes", "maxBodyBytes", "headerTimeout",
            "idleTimeout", "drainTimeout", "upstreamConnectTimeout", "upstreamResponseTimeout", "sendTimeout");
    static final List<String> ADMIN_KEYS = List.of("address", "port", "token", "tokens", "tls");
    static final List<String> ADMIN_TLS_KEYS = List.of("certificate", "privateKey", "clientCa");
    static final List<String> ADMIN_TOKEN_KEYS = List.of("name", "token", "role");
    static final List<String> SIGNALR_KEYS = List.of("accessKeys", "requireSignature", "validateRequests",
            "identity");
    static final List<String> WEBPUBSUB_KEYS = List.of("accessKeys", "requireSignature", "validateRequests",
            "allowedOrigins", "identity");
    static final List<String> ENDPOINTS_KEYS = List.of("file", "etcd");
    static final List<String> TRACING_KEYS = List.of("otlpEndpoint", "samplingRatio");

    static final String DEFAULT_LISTEN_ADDRESS = "0.0.0.0";
    static final int DEFAULT_LISTEN_PORT = 8080;
    static final String DEFAULT_ADMIN_ADDRESS = "127.0.0.1";
    static final int DEFAULT_ADMIN_PORT = 9090;

    /**
     * Reads {@code root}, the document of {@code gateway.yaml}; every problem goes to the source's errors.
     *
     * @return the content, or {@code null} when the document is not a mapping (reported)
     */
    static GatewayYaml read(YamlNode root, ConfigSource source) {
        if (root instanceof YamlNode.Scalar scalar && scalar.text() == null) {
            source.error(root.line(), YamlTree.DOCUMENT, "empty file (expected: a mapping with the keys "
                    + String.join(", ", KEYS) + ")");
            return null;
        }
        MappingReader m = MappingReader.of(source, root, "", KEYS);
        if (m == null) {
            return null;
        }
        Path folder = source.file().getParent();
        MappingReader listenSection = m.section("listen", LISTEN_KEYS);
        ListenConfig listen = listen(listenSection, folder);
        LimitsConfig limits = limits(m.section("limits", LIMITS_KEYS));
        MappingReader adminSection = m.section("admin", ADMIN_KEYS);
        AdminConfig admin = admin(adminSection, folder);
        checkPorts(source, listenSection, adminSection, listen, admin);
        SignalRConfig signalr = signalr(m.section("signalr", SIGNALR_KEYS));
        WebPubSubConfig webpubsub = webpubsub(m.section("webpubsub", WEBPUBSUB_KEYS));
        UpstreamsYaml upstreams = UpstreamsYaml.read(m);
        MappingReader store = endpointStore(m);
        Located<Path> endpointsFile = store == null || !store.has("file") ? null
                : store.required("file", "the path of the endpoints file, relative to this file's folder",
                        text -> path(folder, text));
        MappingReader etcdSection = store == null ? null : store.section("etcd", EtcdYaml.KEYS);
        EtcdConfig etcd = etcdSection == null ? null : EtcdYaml.read(etcdSection, folder);
        TracingConfig tracing = tracing(m.section("tracing", TRACING_KEYS));
        return new GatewayYaml(listen, limits, admin, signalr, webpubsub, upstreams, endpointsFile, etcd, tracing);
    }

    private static ListenConfig listen(MappingReader m, Path folder) {
        if (m == null) {
            return new ListenConfig(DEFAULT_LISTEN_ADDRESS, DEFAULT_LISTEN_PORT, null, ProxyProtocolMode.DISABLED,
                    List.of(), ForwardedHeader.NONE, false);
        }
        String address = m.value("address", DEFAULT_LISTEN_ADDRESS, GatewayYaml::address);
        int port = m.value("port", DEFAULT_LISTEN_PORT, GatewayYaml::port);
        TlsConfig tls = tls(m.section("tls", TLS_KEYS), folder, false);
        ProxyProtocolMode proxyProtocol = m.value("proxyProtocol", ProxyProtocolMode.DISABLED,
                GatewayYaml::proxyProtocol);
        int errorsBefore = m.source().errors().size();
        List<IpPrefix> trustedProxies = Located.values(m.list("trustedProxies", IpPrefix::parse));
        if (proxyProtocol == ProxyProtocolMode.REQUIRED && trustedProxies.isEmpty()
                && m.source().errors().size() == errorsBefore) {
            // Every connection would be closed as untrusted: refuse to start rather than serve nobody.
            m.source().error(m.line("proxyProtocol"), m.path("proxyProtocol"),
                    "required, but listen.trustedProxies is empty, so every connection would be refused "
                    + "(expected: the proxies that send the PROXY header in listen.trustedProxies)");
        }
        ForwardedHeader forwardedHeader = m.value("forwardedHeader", ForwardedHeader.NONE,
                GatewayYaml::forwardedHeader);
        boolean rejectAtConnect = m.value("rejectAtConnect", false, GatewayYaml::bool);
        return new ListenConfig(address, port, tls, proxyProtocol, trustedProxies, forwardedHeader,
                rejectAtConnect);
    }

    /**
     * {@code listen.tls} or {@code admin.tls} (SPEC §4, §12): the same keys and checks for both, and with
     * {@code withClientCa} (only {@code admin.tls}) the optional {@code clientCa}. Paths are relative to the
     * folder of {@code gateway.yaml}.
     */
    private static TlsConfig tls(MappingReader m, Path folder, boolean withClientCa) {
        if (m == null) {
            return null;
        }
        // The server loads these files through the same PemFiles, so what validates here also loads there.
        Located<Path> certificate = m.required("certificate", "the path of a PEM certificate chain",
                text -> certificateFile(folder, text));
        Located<Path> privateKey = m.required("privateKey", "the path of a PEM private key",
                text -> privateKeyFile(folder, text));
        // The trust anchors of client certificates: any PEM certificates (a CA's, or a self-signed client's).
        Located<Path> clientCa = withClientCa ? m.located("clientCa",
                text -> certificateFile(folder, text)) : null;
        if (certificate == null || privateKey == null || !keyPairMatches(m, certificate, privateKey)
                || withClientCa && m.has("clientCa") && clientCa == null) {
            return null;
        }
        return new TlsConfig(certificate.value(), privateKey.value(), clientCa == null ? null : clientCa.value());
    }

    /** A readable PEM certificate (chain) file, relative to the folder of {@code gateway.yaml}. */
    static Path certificateFile(Path folder, String text) {
        Path file = readableFile(folder, text);
        PemFiles.certificates(file);
        return file;
    }

    /** A readable PEM private key file, relative to the folder of {@code gateway.yaml}. */
    static Path privateKeyFile(Path folder, String text) {
        Path file = readableFile(folder, text);
        PemFiles.privateKey(file);
        return file;
    }

    /** Whether the key belongs to the chain's first certificate; when not, says so on the key's line. */
    static boolean keyPairMatches(MappingReader m, Located<Path> certificate, Located<Path> privateKey) {
        try {
            PemFiles.checkKeyPair(PemFiles.certificates(certificate.value()).get(0),
                    PemFiles.privateKey(privateKey.value()), privateKey.value().toString());
            return true;
        } catch (IllegalArgumentException e) {
            m.source().error(privateKey.line(), privateKey.keyPath(), e.getMessage());
            return false;
        }
    }

    private static LimitsConfig limits(MappingReader m) {
        LimitsConfig d = LimitsConfig.DEFAULTS;
        if (m == null) {
            return d;
        }
        int maxHeaderBytes = m.value("maxHeaderBytes", d.maxHeaderBytes(),
                text -> (int) ByteSizeSyntax.parse(text, 1, Integer.MAX_VALUE));
        long maxBodyBytes = m.value("maxBodyBytes", d.maxBodyBytes(),
                text -> ByteSizeSyntax.parse(text, 0, Long.MAX_VALUE));
        Duration headerTimeout = m.value("headerTimeout", d.headerTimeout(), DurationSyntax::parsePositive);
        Duration idleTimeout = m.value("idleTimeout", d.idleTimeout(), DurationSyntax::parsePositive);
        // Zero is meaningful here: stop without waiting for in-flight requests.
        Duration drainTimeout = m.value("drainTimeout", d.drainTimeout(), DurationSyntax::parse);
        Duration connectTimeout = m.value("upstreamConnectTimeout", d.upstreamConnectTimeout(),
                DurationSyntax::parsePositive);
        Duration responseTimeout = m.value("upstreamResponseTimeout", d.upstreamResponseTimeout(),
                DurationSyntax::parsePositive);
        Duration sendTimeout = m.value("sendTimeout", d.sendTimeout(), DurationSyntax::parsePositive);
        return new LimitsConfig(maxHeaderBytes, maxBodyBytes, headerTimeout, idleTimeout, drainTimeout,
                connectTimeout, responseTimeout, sendTimeout);
    }

    private static AdminConfig admin(MappingReader m, Path folder) {
        if (m == null) {
            return new AdminConfig(DEFAULT_ADMIN_ADDRESS, DEFAULT_ADMIN_PORT, null);
        }
        return new AdminConfig(m.value("address", DEFAULT_ADMIN_ADDRESS, GatewayYaml::address),
                m.value("port", DEFAULT_ADMIN_PORT, GatewayYaml::port), m.text("token"), adminTokens(m),
                tls(m.section("tls", ADMIN_TLS_KEYS), folder, true));
    }

    /** {@code admin.tokens} (SPEC §12): the entries read without error; a bad one is reported and left out. */
    private static List<AdminToken> adminTokens(MappingReader admin) {
        List<Located<YamlNode>> items = admin.items("tokens", "a list of {name, token, role}");
        if (items == null) {
            return List.of();
        }
        List<AdminToken> tokens = new ArrayList<>();
        // admin.token acts as "admin": a listed token of that name would make the audit's actor ambiguous.
        Map<String, Located<String>> names = new HashMap<>();
        if (admin.has("token")) {
            names.put(AdminToken.ADMIN_NAME, new Located<>(AdminToken.ADMIN_NAME, admin.path("token"),
                    admin.line("token")));
        }
        for (Located<YamlNode> item : items) {
            MappingReader m = MappingReader.of(admin.source(), item.value(), item.keyPath(), ADMIN_TOKEN_KEYS);
            if (m == null) {
                continue;
            }
            Located<String> name = m.required("name", "the name the token's changes are audited under",
                    GatewayYaml::tokenName);
            if (name != null) {
                Located<String> first = names.putIfAbsent(name.value(), name);
                if (first != null) {
                    m.source().error(name.line(), name.keyPath(), "'" + name.value() + "' is already the name of "
                            + (first.keyPath().equals(admin.path("token")) ? "admin.token" : "another token")
                            + " (" + first.where() + ")");
                }
            }
            Located<String> token = m.required("token", "the bearer secret, not empty", GatewayYaml::tokenSecret);
            Located<AdminToken.Role> role = m.required("role", "reader or approver", AdminToken.Role::parse);
            if (name != null && token != null && role != null) {
                tokens.add(new AdminToken(name.value(), token.value(), role.value()));
            }
        }
        return tokens;
    }

    private static String tokenName(String text) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("empty (expected: the name the token's changes are audited under)");
        }
        return text;
    }

    private static String tokenSecret(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty (expected: the bearer secret; an empty one would let "
                    + "anyone in with 'Authorization: Bearer ')");
        }
        return text;
    }

    /** The two listeners cannot share a port on overlapping addresses; say so now rather than at bind. */
    private static void checkPorts(ConfigSource source, MappingReader listenSection, MappingReader adminSection,
                                   ListenConfig listen, AdminConfig admin) {
        if (listen.port() == 0 || listen.port() != admin.port()) {
            return;
        }
        boolean overlap = listen.address().equals(admin.address()) || isWildcard(listen.address())
                || isWildcard(admin.address());
        if (!overlap) {
            return;
        }
        // Blame the key that was written: with both written, the admin one.
        if (adminSection != null && adminSection.has("port")) {
            source.error(adminSection.line("port"), "admin.port", admin.port() + " is also listen.port on an "
                    + "overlapping address (expected: a port of its own for the admin server)");
        } else {
            source.error(listenSection.line("port"), "listen.port", listen.port() + " is also admin.port on an "
                    + "overlapping address (expected: a port of its own for the proxy)");
        }
    }

    private static boolean isWildcard(String address) {
        return address.equals("0.0.0.0") || address.equals("::");
    }

    private static SignalRConfig signalr(MappingReader m) {
        if (m == null) {
            return null;
        }
        List<String> accessKeys = accessKeys(m);
        IdentityConfig identity = IdentityYaml.read(m.section("identity", IdentityYaml.KEYS));
        return new SignalRConfig(accessKeys, m.value("requireSignature", false, GatewayYaml::bool),
                m.value("validateRequests", false, GatewayYaml::bool), identity);
    }

    private static WebPubSubConfig webpubsub(MappingReader m) {
        if (m == null) {
            return null;
        }
        List<String> accessKeys = accessKeys(m);
        List<String> allowedOrigins = Located.values(m.list("allowedOrigins", GatewayYaml::origin));
        IdentityConfig identity = IdentityYaml.read(m.section("identity", IdentityYaml.KEYS));
        return new WebPubSubConfig(accessKeys, m.value("requireSignature", false, GatewayYaml::bool),
                m.value("validateRequests", false, GatewayYaml::bool), allowedOrigins, identity);
    }

    /** {@code accessKeys} of {@code signalr} or {@code webpubsub}, with the check that a signature can pass. */
    private static List<String> accessKeys(MappingReader m) {
        List<String> accessKeys = Located.values(m.list("accessKeys", text -> text));
        if (m.value("requireSignature", false, GatewayYaml::bool) && accessKeys.isEmpty()) {
            m.source().error(m.line("requireSignature"), m.path("requireSignature"),
                    "true, but " + m.path("accessKeys") + " holds no key, so every call would be refused "
                    + "(expected: at least one access key, or requireSignature: false)");
        }
        return accessKeys;
    }

    /**
     * A {@code WebHook-Request-Origin} host the gateway answers abuse protection for: a host name, compared
     * whole and case-insensitively (a prefix or suffix match would let {@code x.webpubsub.azure.com.evil}
     * through), so kept in lower case.
     */
    private static String origin(String text) {
        String host = text.trim().toLowerCase(Locale.ROOT);
        if (host.contains("://") || host.contains("/") || host.equals("*") || host.isEmpty()
                || !host.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\\d{1,5})?")) {
            throw new IllegalArgumentException("'" + text + "' (expected: the host the service names in "
                    + "WebHook-Request-Origin, such as contoso.webpubsub.azure.com, without scheme, path or *)");
        }
        return host;
    }

    private static TracingConfig tracing(MappingReader m) {
        if (m == null) {
            return null;
        }
        URI otlpEndpoint = m.value("otlpEndpoint", null, GatewayYaml::otlpEndpoint);
        double samplingRatio = m.value("samplingRatio", TracingConfig.DEFAULT_SAMPLING_RATIO,
                GatewayYaml::samplingRatio);
        return new TracingConfig(otlpEndpoint, samplingRatio);
    }

    /** An OTLP/HTTP base URL: http or https with a host; the exporter appends {@code /v1/traces}. */
    private static URI otlpEndpoint(String text) {
        String expected = " (expected: the collector's OTLP/HTTP base URL, such as http://otel-collector:4318)";
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL" + expected);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("'" + text + "'" + expected);
        }
        return uri;
    }

    private static Double samplingRatio(String text) {
        double value;
        try {
            value = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            value = Double.NaN;
        }
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("'" + text + "' (expected: a number from 0 to 1, such as 0.1)");
        }
        return value;
    }

    /**
     * The {@code sharedPrivateEndpoints} section, or {@code null} when it is missing or does not name
     * exactly one store (reported): a file or etcd (SPEC §4, §10).
     */
    private static MappingReader endpointStore(MappingReader root) {
        String expected = "(expected: a mapping with either file, the endpoints file, or etcd, the shared store)";
        if (!root.has("sharedPrivateEndpoints")) {
            root.source().error(root.line("sharedPrivateEndpoints"), "sharedPrivateEndpoints", "missing " + expected);
            return null;
        }
        MappingReader m = root.section("sharedPrivateEndpoints", ENDPOINTS_KEYS);
        if (m == null) {
            return null;
        }
        if (m.has("file") && m.has("etcd")) {
            m.source().error(m.line("etcd"), m.path("etcd"), "set together with file; the endpoints live in one "
                    + "store " + expected);
            return null;
        }
        if (!m.has("file") && !m.has("etcd")) {
            m.source().error(m.line(), m.path(), "names no store " + expected);
            return null;
        }
        return m;
    }

    static Path path(Path folder, String text) {
        try {
            return folder.resolve(text).normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("'" + text + "' is not a valid path: " + e.getReason());
        }
    }

    static Path readableFile(Path folder, String text) {
        Path file = path(folder, text);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("cannot read " + file + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("cannot read " + file + ": not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("cannot read " + file + ": permission denied");
        }
        return file;
    }

    /** An IP literal in canonical text: binding to a name would need a DNS lookup and may be ambiguous. */
    private static String address(String text) {
        return IpAddress.parse(text.trim()).canonical();
    }

    private static Integer port(String text) {
        String trimmed = text.trim();
        int value = trimmed.matches("\\d{1,5}") ? Integer.parseInt(trimmed) : -1;
        if (value < 0 || value > 65535) {
            throw new IllegalArgumentException("'" + text + "' (expected: a port from 0 to 65535; 0 for any free one)");
        }
        return value;
    }

    private static Boolean bool(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new IllegalArgumentException("'" + text + "' (expected: true or false)");
        }
    }

    private static ProxyProtocolMode proxyProtocol(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "disabled":
                return ProxyProtocolMode.DISABLED;
            case "optional":
                return ProxyProtocolMode.OPTIONAL;
            case "required":
                return ProxyProtocolMode.REQUIRED;
            default:
                throw new IllegalArgumentException("'" + text + "' (expected: disabled, optional or required)");
        }
    }

    private static ForwardedHeader forwardedHeader(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "none":
                return ForwardedHeader.NONE;
            case "x-forwarded-for":
                return ForwardedHeader.X_FORWARDED_FOR;
            default:
                throw new IllegalArgumentException("'" + text + "' (expected: none or x-forwarded-for)");
        }
    }
}
