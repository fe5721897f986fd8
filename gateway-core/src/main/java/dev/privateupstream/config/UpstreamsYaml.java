package dev.privateupstream.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code upstreams} list of {@code gateway.yaml}, read and checked (SPEC §4).
 *
 * @param upstreams the upstreams that were read without error, in file order
 * @param resourceIds the {@code resourceId} of every upstream, or {@code null} when one could not be
 *        read: endpoints are then not checked against them, which would only add false alarms
 */
record UpstreamsYaml(List<UpstreamConfig> upstreams, List<String> resourceIds) {
    static final List<String> KEYS = List.of("name", "resourceId", "url", "hosts", "hubPattern",
            "categoryPattern", "eventPattern", "maxConnections", "caFile", "protocol", "idleTimeout");
    static final int DEFAULT_MAX_CONNECTIONS = 256;

    // The name is a metric label and appears in logs: keep it to characters that need no escaping.
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
    // SPEC §8 labels requests that reach no upstream with upstream="none".
    private static final String RESERVED_NAME = "none";
    private static final Pattern HOST_NAME = Pattern.compile("[a-z0-9_]([a-z0-9_.-]*[a-z0-9_.])?");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");

    static UpstreamsYaml read(MappingReader root) {
        int errorsBefore = root.source().errors().size();
        List<Located<YamlNode>> items = root.items("upstreams", "a list of upstreams");
        if (items == null) {
            root.source().error(root.line("upstreams"), "upstreams",
                    "missing (expected: a list of at least one upstream)");
            return new UpstreamsYaml(List.of(), null);
        }
        if (items.isEmpty() && root.source().errors().size() == errorsBefore) {
            root.source().error(root.line("upstreams"), "upstreams", "empty (expected: at least one upstream)");
        }
        Path folder = root.source().file().getParent();
        List<UpstreamConfig> upstreams = new ArrayList<>();
        List<String> resourceIds = new ArrayList<>();
        boolean allResourceIds = true;
        Map<String, Located<String>> names = new HashMap<>();
        for (Located<YamlNode> item : items) {
            MappingReader m = MappingReader.of(root.source(), item.value(), item.keyPath(), KEYS);
            if (m == null) {
                allResourceIds = false;
                continue;
            }
            Located<String> name = m.required("name", "a name of letters, digits, '.', '_' and '-'",
                    UpstreamsYaml::name);
            if (name != null) {
                Located<String> first = names.putIfAbsent(name.value(), name);
                if (first != null) {
                    m.source().error(name.line(), name.keyPath(), "'" + name.value()
                            + "' is already the name of another upstream (" + first.where() + ")");
                }
            }
            Located<String> resourceId = m.required("resourceId", "the Azure resource id of the backend",
                    UpstreamsYaml::resourceId);
            if (resourceId == null) {
                allResourceIds = false;
            } else {
                resourceIds.add(resourceId.value());
            }
            Located<URI> url = m.required("url", "http://HOST[:PORT] or https://HOST[:PORT]", UpstreamsYaml::url);
            List<String> hosts = Located.values(m.list("hosts", UpstreamsYaml::host));
            String hubPattern = m.value("hubPattern", null, UpstreamsYaml::pattern);
            String categoryPattern = m.value("categoryPattern", null, UpstreamsYaml::pattern);
            String eventPattern = m.value("eventPattern", null, UpstreamsYaml::pattern);
            int maxConnections = m.value("maxConnections", DEFAULT_MAX_CONNECTIONS, UpstreamsYaml::maxConnections);
            UpstreamProtocol protocol = m.value("protocol", UpstreamProtocol.SIGNALR, UpstreamProtocol::parse);
            Duration idleTimeout = m.value("idleTimeout", UpstreamConfig.DEFAULT_IDLE_TIMEOUT,
                    UpstreamsYaml::idleTimeout);
            Located<Path> caFile = m.located("caFile", text -> GatewayYaml.certificateFile(folder, text));
            if (caFile != null && url != null && !"https".equals(url.value().getScheme())) {
                m.source().error(caFile.line(), caFile.keyPath(), "set for an http upstream (expected: caFile "
                        + "only with an https url, whose backend certificate it verifies)");
            }
            if (name != null && resourceId != null && url != null) {
                upstreams.add(new UpstreamConfig(name.value(), resourceId.value(), url.value(), hosts, hubPattern,
                        categoryPattern, eventPattern, maxConnections, caFile == null ? null : caFile.value(),
                        protocol, idleTimeout));
            }
        }
        return new UpstreamsYaml(upstreams, allResourceIds ? resourceIds : null);
    }

    private static String name(String text) {
        if (!NAME.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' (expected: letters, digits, '.', '_' and '-' only, "
                    + "as the name is a metric label)");
        }
        if (text.equals(RESERVED_NAME)) {
            throw new IllegalArgumentException("'" + text + "' is reserved: metrics label calls that reach no "
                    + "upstream with it (expected: another name)");
        }
        return text;
    }

    private static String resourceId(String text) {
        if (text.isBlank() || !text.equals(text.trim())) {
            throw new IllegalArgumentException("'" + text + "' (expected: an Azure resource id without "
                    + "surrounding spaces, such as /subscriptions/.../providers/Microsoft.Web/sites/NAME)");
        }
        return text;
    }

    /**
     * {@code scheme://host:port} with the default port made explicit, scheme and host in lower case.
     * Anything after the authority is refused: the gateway forwards each request's own path and query.
     */
    private static URI url(String text) {
        String expected = "(expected: http://HOST[:PORT] or https://HOST[:PORT], such as http://127.0.0.1:7071)";
        final URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason() + " " + expected);
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme) || uri.isOpaque()) {
            throw new IllegalArgumentException("'" + text + "' is not an http or https URL " + expected);
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("'" + text + "' carries user information " + expected);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("'" + text + "' has no valid host " + expected);
        }
        String path = uri.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            throw new IllegalArgumentException("'" + text + "' has a path; the gateway forwards each call's own "
                    + "path " + expected);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("'" + text + "' has a query or fragment " + expected);
        }
        int port = uri.getPort();
        if (port == -1) {
            port = scheme.equals("http") ? 80 : 443;
        } else if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'" + text + "' has port " + port + " (expected: 1 to 65535)");
        }
        try {
            return new URI(scheme, null, uri.getHost().toLowerCase(Locale.ROOT), port, null, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason() + " " + expected);
        }
    }

    /**
     * A {@code Host} value as routing compares it: lower case, without port. An IPv6 literal keeps its
     * brackets, as it appears in a {@code Host} header.
     */
    private static String host(String text) {
        String host = text.toLowerCase(Locale.ROOT);
        String expected = "(expected: a host name or address as in a Host header, such as "
                + "contoso-func.azurewebsites.net or [fd00::1], optionally with a port)";
        String port = "";
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + text + "' has no closing ] " + expected);
            }
            String rest = host.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("'" + text + "' " + expected);
                }
                port = rest.substring(1);
            }
            host = host.substring(0, close + 1);
            if (!host.matches("\\[[0-9a-f:.]+\\]")) {
                throw new IllegalArgumentException("'" + text + "' " + expected);
            }
        } else {
            int colon = host.indexOf(':');
            if (colon >= 0) {
                if (host.indexOf(':', colon + 1) >= 0) {
                    throw new IllegalArgumentException("'" + text + "' looks like an IPv6 address without "
                            + "brackets (expected: [" + text + "])");
                }
                port = host.substring(colon + 1);
                host = host.substring(0, colon);
            }
            if (!HOST_NAME.matcher(host).matches()) {
                throw new IllegalArgumentException("'" + text + "' " + expected);
            }
        }
        if (!port.isEmpty() && !PORT.matcher(port).matches()) {
            throw new IllegalArgumentException("'" + text + "' has an invalid port " + expected);
        }
        return host;
    }

    /** {@code *}, a name or a comma list of names, as in the service's upstream settings. */
    private static String pattern(String text) {
        for (String part : text.split(",", -1)) {
            if (part.isBlank()) {
                throw new IllegalArgumentException("'" + text + "' has an empty entry (expected: \"*\", a name, "
                        + "or a comma-separated list of names)");
            }
        }
        return text;
    }

    /** A duration above zero; the message also says what the value must stay below. */
    private static Duration idleTimeout(String text) {
        try {
            return DurationSyntax.parsePositive(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' (expected: a duration above zero with a unit, such as "
                    + UpstreamConfig.DEFAULT_IDLE_TIMEOUT.toSeconds() + "s, the default, and below the backend's "
                    + "keep-alive timeout, so that the gateway closes an idle connection before the backend does)");
        }
    }

    private static Integer maxConnections(String text) {
        String trimmed = text.trim();
        long value = trimmed.matches("\\d{1,10}") ? Long.parseLong(trimmed) : -1;
        if (value < 1 || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("'" + text + "' (expected: a whole number from 1 to "
                    + Integer.MAX_VALUE + ")");
        }
        return (int) value;
    }
}
