package dev.privateupstream.testing;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real OpenID Connect server on 127.0.0.1 for a test class, NAV's {@code mock-oauth2-server}: discovery,
 * JWKS and a token endpoint per issuer, the issuer id being the first path segment:
 *
 * <pre>{@code
 * @RegisterExtension static final OidcServer oidc = new OidcServer();
 * String token = oidc.managedIdentityToken(TENANT, CLIENT_ID, OBJECT_ID, "api://contoso-gateway");
 * // iss = oidc.issuer(TENANT), keys at oidc.jwksUrl(TENANT)
 * }</pre>
 *
 * <p>What the server does (6.0.2, read with javap and checked by {@link OidcServerIT}): {@code iss} is
 * {@code http://HOST:PORT/ISSUER_ID} where HOST is the request's {@code Host} (this class always sends
 * {@code 127.0.0.1:PORT}, and starts the server so that its own URLs say {@code 127.0.0.1}, not
 * {@code localhost}); tokens are {@code RS256} with {@code kid} = the issuer id, one key per issuer; {@code tid}
 * is the issuer id unless a claim overrides it; a client-credentials token has {@code sub} = the client id and,
 * without a callback, {@code aud} = the requested scopes; the token endpoint refuses a request without client
 * authentication ({@code 401 invalid_client}) but accepts any secret. Tokens issued through the API (not HTTP)
 * always carry {@code azp} (the client id, {@code default} unless an {@code azp} claim is given).
 */
public final class OidcServer implements BeforeAllCallback, AfterAllCallback {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long EXPIRY_SECONDS = 3600;

    private MockOAuth2Server server;
    private int port;

    /** A token endpoint's answer: status and body (JSON). */
    public record TokenResponse(int status, String body) {
        /** {@code access_token}, or an assertion error naming the answer. */
        public String accessToken() {
            if (status != 200) {
                throw new AssertionError("token endpoint answered HTTP " + status + ": " + body);
            }
            try {
                return JSON.readTree(body).path("access_token").asText();
            } catch (IOException e) {
                throw new UncheckedIOException("token endpoint body: " + body, e);
            }
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("token endpoint body: " + body, e);
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (server != null) {
            try {
                server.shutdown();
            } finally {
                server = null;
            }
        }
    }

    /** The running server, for what this class does not wrap. */
    public MockOAuth2Server server() {
        start();
        return server;
    }

    public int port() {
        start();
        return port;
    }

    /** The {@code iss} of every token of this issuer: {@code http://127.0.0.1:PORT/ISSUER_ID}. */
    public String issuer(String issuerId) {
        return "http://127.0.0.1:" + port() + "/" + requireNonNull(issuerId, "issuerId");
    }

    /** {@code http://127.0.0.1:PORT/ISSUER_ID/jwks}. */
    public URI jwksUrl(String issuerId) {
        return URI.create(issuer(issuerId) + "/jwks");
    }

    /** {@code http://127.0.0.1:PORT/ISSUER_ID/token}. */
    public URI tokenEndpoint(String issuerId) {
        return URI.create(issuer(issuerId) + "/token");
    }

    /** {@code http://127.0.0.1:PORT/ISSUER_ID/.well-known/openid-configuration}. */
    public URI discoveryUrl(String issuerId) {
        return URI.create(issuer(issuerId) + "/.well-known/openid-configuration");
    }

    /**
     * A client-credentials grant as a client makes it: {@code POST /ISSUER_ID/token} over a socket, form body
     * {@code grant_type=client_credentials&client_id=...&client_secret=...&scope=...}. The server's own rules
     * shape the token ({@code sub} = client id, {@code aud} = the scopes, {@code tid} = the issuer id).
     */
    public String clientCredentialsToken(String issuerId, String clientId, String clientSecret, String scope) {
        return requestToken(issuerId, form(clientId, clientSecret, scope)).accessToken();
    }

    /**
     * A client-credentials grant whose token carries {@code claims} too, and {@code aud} = the scope's resource
     * ({@code api://x/.default} gives {@code api://x}, as Entra does): a callback queued for the issuer before the
     * request shapes the token. A {@code tid} claim replaces the default one.
     */
    public String clientCredentialsToken(String issuerId, String clientId, String clientSecret, String scope,
            Map<String, ?> claims) {
        server().enqueueCallback(new DefaultOAuth2TokenCallback(issuerId, clientId, JOSEObjectType.JWT.getType(),
                List.of(resourceOf(scope)), Map.copyOf(claims), EXPIRY_SECONDS));
        return clientCredentialsToken(issuerId, clientId, clientSecret, scope);
    }

    /**
     * What a managed identity gets for {@code resource}, Entra v1 style, over HTTP: issuer id = tenant (so
     * {@code tid} is the tenant), {@code aud} = resource, {@code appid} = client id, {@code oid} = object id,
     * {@code ver 1.0}, {@code idtyp app}.
     */
    public String managedIdentityToken(String tenantId, String clientId, String objectId, String resource) {
        final Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("appid", clientId);
        claims.put("oid", objectId);
        claims.put("ver", "1.0");
        claims.put("idtyp", "app");
        return clientCredentialsToken(tenantId, clientId, "managed-identity-secret", resource + "/.default", claims);
    }

    /** Posts this form to the issuer's token endpoint over a socket and returns the answer, whatever it is. */
    public TokenResponse requestToken(String issuerId, String formBody) {
        final byte[] body = formBody.getBytes(StandardCharsets.UTF_8);
        final String head = "POST /" + issuerId + "/token HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + port() + "\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\n"
                + "Accept: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        try (RawClient client = new RawClient("127.0.0.1", port)) {
            client.send(head).send(body);
            final RawClient.Response response = client.read();
            return new TokenResponse(response.status(), response.bodyText());
        } catch (IOException e) {
            throw new UncheckedIOException("POST " + tokenEndpoint(issuerId), e);
        }
    }

    /** {@code GET} a path of the server over a socket; returns the body, failing unless 200. */
    public String get(URI url) {
        try (RawClient client = new RawClient("127.0.0.1", port())) {
            client.send("GET " + url.getRawPath() + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\n\r\n");
            final RawClient.Response response = client.read();
            if (response.status() != 200) {
                throw new AssertionError("GET " + url + ": HTTP " + response.status() + " " + response.bodyText());
            }
            return response.bodyText();
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url, e);
        }
    }

    /**
     * A token minted through the server's API (no HTTP): {@code sub}, {@code aud} and {@code claims} as given,
     * signed by the issuer's key; {@code tid} is the issuer id unless a claim says otherwise.
     */
    public SignedJWT issueToken(String issuerId, String subject, String audience, Map<String, ?> claims) {
        final Object azp = claims.get("azp");
        return server().issueToken(issuerId, azp == null ? "default" : azp.toString(),
                new DefaultOAuth2TokenCallback(issuerId, subject, JOSEObjectType.JWT.getType(), List.of(audience),
                        Map.copyOf(claims), EXPIRY_SECONDS));
    }

    /** {@code client_id=...&client_secret=...&scope=...} with {@code grant_type=client_credentials}. */
    public static String form(String clientId, String clientSecret, String scope) {
        final Map<String, String> fields = new LinkedHashMap<>();
        fields.put("grant_type", "client_credentials");
        fields.put("client_id", clientId);
        if (clientSecret != null) {
            fields.put("client_secret", clientSecret);
        }
        fields.put("scope", scope);
        return fields.entrySet().stream()
                .map(f -> f.getKey() + "=" + URLEncoder.encode(f.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    private synchronized void start() {
        if (server != null) {
            return;
        }
        final MockOAuth2Server created = new MockOAuth2Server();
        try {
            // An address made with its name, so the server's URLs say 127.0.0.1: from getByName it would look
            // the name up, find "localhost", and mint API tokens with an iss no HTTP client on 127.0.0.1 gets.
            created.start(InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1}), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("starting the OIDC server on 127.0.0.1", e);
        }
        server = created;
        port = created.baseUrl().port();
    }

    private static String resourceOf(String scope) {
        final String first = scope.trim().split("\\s+")[0];
        return first.endsWith("/.default") ? first.substring(0, first.length() - "/.default".length()) : first;
    }
}
