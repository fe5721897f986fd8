package dev.privateupstream.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;

/** Reads an {@code identity} block of {@code signalr} or {@code webpubsub} (SPEC §13). */
final class IdentityYaml {
    static final List<String> KEYS = List.of("tenantId", "audiences", "allowedCallers", "issuers", "jwksUrl",
            "clockSkew");
    // Entra tenant, object and client ids are GUIDs; a tenant is also named by a verified domain in some
    // URLs, but a token's tid claim is always the GUID.
    private static final Pattern GUID = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Duration MAX_CLOCK_SKEW = Duration.ofHours(1);

    private IdentityYaml() {
    }

    /** The block's content, or {@code null} when it is absent or something in it is invalid (reported). */
    static IdentityConfig read(MappingReader m) {
        if (m == null) {
            return null;
        }
        int errorsBefore = m.source().errors().size();
        Located<String> tenant = m.required("tenantId", "the GUID of the Entra ID tenant the tokens come from",
                IdentityYaml::guid);
        String tenantId = tenant == null ? null : tenant.value();
        List<String> audiences = nonEmpty(m, "audiences", IdentityYaml::plain,
                "the upstream auth setting's resource, such as [ \"api://contoso-gateway\" ]");
        List<String> allowedCallers = nonEmpty(m, "allowedCallers", IdentityYaml::caller,
                "the object id (or client id) of the service's managed identity");
        int errorsBeforeIssuers = m.source().errors().size();
        List<String> issuers = Located.values(m.list("issuers", IdentityYaml::plain));
        if (m.has("issuers") && issuers.isEmpty() && m.source().errors().size() == errorsBeforeIssuers) {
            m.source().error(m.line("issuers"), m.path("issuers"), "empty (expected: at least one issuer, or "
                    + "no issuers key for the tenant's v1 and v2 issuers)");
        }
        URI jwksUrl = m.value("jwksUrl", null, IdentityYaml::url);
        Duration clockSkew = m.value("clockSkew", IdentityConfig.DEFAULT_CLOCK_SKEW, IdentityYaml::clockSkew);
        if (m.source().errors().size() != errorsBefore || tenantId == null) {
            return null;
        }
        return new IdentityConfig(tenantId, audiences, allowedCallers,
                issuers.isEmpty() ? IdentityConfig.defaultIssuers(tenantId) : issuers,
                jwksUrl == null ? IdentityConfig.defaultJwksUrl(tenantId) : jwksUrl, clockSkew);
    }

    /** A required list with at least one entry; reported once, as missing, empty, or by its bad entries. */
    private static List<String> nonEmpty(MappingReader m, String key, Function<String, String> parser,
            String expected) {
        int errorsBefore = m.source().errors().size();
        List<String> values = Located.values(m.list(key, parser));
        if (values.isEmpty() && !m.has(key)) {
            m.source().error(m.line(key), m.path(key), "missing (expected: " + expected + ")");
        } else if (values.isEmpty() && m.source().errors().size() == errorsBefore) {
            m.source().error(m.line(key), m.path(key), "empty (expected: " + expected + ")");
        }
        return values;
    }

    private static String guid(String text) {
        String guid = text.trim().toLowerCase(Locale.ROOT);
        if (!GUID.matcher(guid).matches()) {
            throw new IllegalArgumentException("'" + text + "' (expected: a GUID such as "
                    + "72f988bf-86f1-41af-91ab-2d7cd011db47, the Directory (tenant) ID of the portal)");
        }
        return guid;
    }

    /** An object or client id: a GUID, compared case-insensitively, so kept in lower case. */
    private static String caller(String text) {
        String id = text.trim().toLowerCase(Locale.ROOT);
        if (!GUID.matcher(id).matches()) {
            throw new IllegalArgumentException("'" + text + "' (expected: the GUID of the managed identity's "
                    + "Object (principal) ID or Client ID, as the token's oid, appid or azp carries it)");
        }
        return id;
    }

    /** An audience or issuer: compared exactly with the token's claim, so no surrounding spaces. */
    private static String plain(String text) {
        if (text.isBlank() || !text.equals(text.trim())) {
            throw new IllegalArgumentException("'" + text + "' (expected: a value without surrounding spaces; "
                    + "it is compared exactly with the token's claim)");
        }
        return text;
    }

    private static URI url(String text) {
        String expected = "(expected: the https URL of the tenant's JWKS, such as "
                + "https://login.microsoftonline.com/TENANT/discovery/v2.0/keys)";
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason() + " " + expected);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + text + "' " + expected);
        }
        if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("'" + text + "' carries user information or a fragment " + expected);
        }
        return uri;
    }

    private static Duration clockSkew(String text) {
        Duration skew = DurationSyntax.parse(text);
        if (skew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new IllegalArgumentException("'" + text + "' is more than 1h (expected: a few minutes, such as "
                    + "5m; a larger skew keeps expired tokens valid)");
        }
        return skew;
    }
}
