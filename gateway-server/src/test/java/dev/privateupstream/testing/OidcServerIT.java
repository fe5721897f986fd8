package dev.privateupstream.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.net.MalformedURLException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link OidcServer} is a real OIDC server on loopback whose client-credentials tokens, fetched over HTTP, verify
 * against its JWKS with Nimbus as the gateway will verify them; {@link EntraTokens} mints Entra-shaped tokens,
 * serves and rotates their keys, and its forgeries fail verification.
 */
class OidcServerIT {
    @RegisterExtension
    static final OidcServer oidc = new OidcServer();

    @RegisterExtension
    static final EntraTokens entra = new EntraTokens();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TENANT = EntraTokens.TENANT;

    @Test
    void serverRunsOnLoopbackAndDescribesItself() throws Exception {
        final JsonNode discovery = JSON.readTree(oidc.get(oidc.discoveryUrl(TENANT)));

        assertThat(oidc.issuer(TENANT)).isEqualTo("http://127.0.0.1:" + oidc.port() + "/" + TENANT);
        assertThat(discovery.path("issuer").asText()).isEqualTo(oidc.issuer(TENANT));
        assertThat(discovery.path("jwks_uri").asText()).isEqualTo(oidc.jwksUrl(TENANT).toString());
        assertThat(discovery.path("token_endpoint").asText()).isEqualTo(oidc.tokenEndpoint(TENANT).toString());
        assertThat(JSON.readTree(oidc.get(oidc.jwksUrl(TENANT))).path("keys").get(0).path("kid").asText())
                .isEqualTo(TENANT);
    }

    @Test
    void aManagedIdentityTokenFetchedOverHttpVerifiesAgainstTheJwks() throws Exception {
        final String token = oidc.managedIdentityToken(TENANT, EntraTokens.CLIENT_ID, EntraTokens.OBJECT_ID,
                EntraTokens.AUDIENCE);

        final JWTClaimsSet claims = processor(oidc.jwksUrl(TENANT), oidc.issuer(TENANT), EntraTokens.AUDIENCE)
                .process(token, null);
        assertThat(claims.getIssuer()).isEqualTo(oidc.issuer(TENANT));
        assertThat(claims.getAudience()).containsExactly(EntraTokens.AUDIENCE);
        assertThat(claims.getSubject()).isEqualTo(EntraTokens.CLIENT_ID);
        assertThat(claims.getStringClaim("tid")).isEqualTo(TENANT);
        assertThat(claims.getStringClaim("oid")).isEqualTo(EntraTokens.OBJECT_ID);
        assertThat(claims.getStringClaim("appid")).isEqualTo(EntraTokens.CLIENT_ID);
        assertThat(claims.getStringClaim("ver")).isEqualTo("1.0");
        assertThat(claims.getClaim("azp")).isNull();
        assertThat(claims.getExpirationTime()).isAfter(Instant.now().plus(Duration.ofMinutes(50)));
        assertThat(SignedJWT.parse(token).getHeader().getKeyID()).isEqualTo(TENANT);
        assertThat(SignedJWT.parse(token).getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
    }

    @Test
    void withoutACallbackTheServerTakesTheScopeAsAudienceAndTheIssuerIdAsTenant() throws Exception {
        final String token = oidc.clientCredentialsToken("plain-issuer", "client-a", "any-secret", "api://x/.default");

        final JWTClaimsSet claims = processor(oidc.jwksUrl("plain-issuer"), oidc.issuer("plain-issuer"),
                "api://x/.default").process(token, null);
        assertThat(claims.getSubject()).isEqualTo("client-a");
        assertThat(claims.getStringClaim("tid")).isEqualTo("plain-issuer");
        assertThat(claims.getClaim("oid")).isNull();
    }

    @Test
    void theTokenEndpointRequiresClientAuthentication() {
        final OidcServer.TokenResponse response = oidc.requestToken(TENANT,
                OidcServer.form("client-a", null, "api://x/.default"));

        assertThat(response.status()).isEqualTo(401);
        assertThat(response.json().path("error").asText()).isEqualTo("invalid_client");
    }

    @Test
    void apiTokensCarryTheGivenClaimsAndVerifyToo() throws Exception {
        final SignedJWT token = oidc.issueToken(TENANT, "subject-1", EntraTokens.AUDIENCE,
                Map.of("oid", "oid-1", "appid", "app-1"));

        final JWTClaimsSet claims = processor(oidc.jwksUrl(TENANT), oidc.issuer(TENANT), EntraTokens.AUDIENCE)
                .process(token.serialize(), null);
        assertThat(claims.getSubject()).isEqualTo("subject-1");
        assertThat(claims.getStringClaim("oid")).isEqualTo("oid-1");
        assertThat(claims.getStringClaim("appid")).isEqualTo("app-1");
        assertThat(claims.getStringClaim("tid")).isEqualTo(TENANT);
        assertThat(claims.getStringClaim("azp")).isEqualTo("default");
    }

    @Test
    void aTokenOfAnotherIssuerDoesNotVerifyWithThisIssuersKeys() throws Exception {
        final String token = oidc.managedIdentityToken("other-tenant", EntraTokens.CLIENT_ID, EntraTokens.OBJECT_ID,
                EntraTokens.AUDIENCE);

        assertThatThrownBy(() -> processor(oidc.jwksUrl(TENANT), oidc.issuer("other-tenant"), EntraTokens.AUDIENCE)
                .process(token, null)).isInstanceOf(BadJOSEException.class);
    }

    @Test
    void entraV1AndV2TokensVerifyAgainstTheServedJwks() throws Exception {
        final int before = entra.jwksRequests();

        final JWTClaimsSet v1 = processor(entra.jwksUrl(), entra.v1Issuer(), EntraTokens.AUDIENCE)
                .process(entra.v1().sign(), null);
        final JWTClaimsSet v2 = processor(entra.jwksUrl(), entra.v2Issuer(), EntraTokens.AUDIENCE)
                .process(entra.v2().sign(), null);

        assertThat(entra.jwksUrl().getHost()).isEqualTo("127.0.0.1");
        assertThat(entra.jwksUrl().getPath()).isEqualTo("/" + TENANT + "/discovery/v2.0/keys");
        assertThat(v1.getIssuer()).isEqualTo("https://sts.windows.net/" + TENANT + "/");
        assertThat(v1.getStringClaim("ver")).isEqualTo("1.0");
        assertThat(v1.getStringClaim("appid")).isEqualTo(EntraTokens.CLIENT_ID);
        assertThat(v1.getStringClaim("oid")).isEqualTo(EntraTokens.OBJECT_ID);
        assertThat(v1.getStringClaim("tid")).isEqualTo(TENANT);
        assertThat(v2.getIssuer()).isEqualTo("https://login.microsoftonline.com/" + TENANT + "/v2.0");
        assertThat(v2.getStringClaim("ver")).isEqualTo("2.0");
        assertThat(v2.getStringClaim("azp")).isEqualTo(EntraTokens.CLIENT_ID);
        assertThat(entra.jwksRequests()).isEqualTo(before + 2);
    }

    @Test
    void aDroppedKeysTokensNoLongerVerifyAndAKeptKeysStillDo() throws Exception {
        final String first = entra.v1().sign();
        final String firstKid = entra.currentKid();
        final List<String> publishedBefore = kids();

        final String secondKid = entra.rotate(true);
        final String second = entra.v1().sign();
        assertThat(publishedBefore).contains(firstKid);
        assertThat(kids()).first().isEqualTo(secondKid);
        assertThat(kids()).containsExactlyElementsOf(concat(secondKid, publishedBefore));
        assertThat(freshProcessor().process(first, null).getStringClaim("oid")).isEqualTo(EntraTokens.OBJECT_ID);
        assertThat(freshProcessor().process(second, null).getStringClaim("oid")).isEqualTo(EntraTokens.OBJECT_ID);

        final String thirdKid = entra.rotate(false);
        assertThat(kids()).containsExactly(thirdKid);
        assertThatThrownBy(() -> freshProcessor().process(first, null)).isInstanceOf(BadJOSEException.class);
        assertThatThrownBy(() -> freshProcessor().process(second, null)).isInstanceOf(BadJOSEException.class);
        assertThat(freshProcessor().process(entra.v1().sign(), null).getStringClaim("tid")).isEqualTo(TENANT);
    }

    @Test
    void aCachedKeySetIsFetchedAgainForAnUnknownKid() throws Exception {
        final DefaultJWTProcessor<SecurityContext> cached = freshProcessor();
        cached.process(entra.v1().sign(), null);
        final int afterFirst = entra.jwksRequests();

        entra.rotate(true);
        cached.process(entra.v1().sign(), null);

        assertThat(entra.jwksRequests()).isEqualTo(afterFirst + 1);
    }

    @Test
    void forgeriesAndBadClaimsDoNotVerify() throws Exception {
        final DefaultJWTProcessor<SecurityContext> processor = freshProcessor();

        assertThat(entra.algNone(entra.v1())).endsWith(".");
        assertThatThrownBy(() -> processor.process(entra.algNone(entra.v1()), null))
                .isInstanceOf(BadJOSEException.class);
        assertThatThrownBy(() -> processor.process(entra.hs256WithPublicKey(entra.v1()), null))
                .isInstanceOf(BadJOSEException.class);
        assertThatThrownBy(() -> processor.process(entra.tamperedPayload(entra.v1(), "oid", "attacker"), null))
                .isInstanceOf(BadJWSException.class);
        assertThatThrownBy(() -> processor.process(entra.v1().signedWith(EntraTokens.newKey()).sign(), null))
                .isInstanceOf(BadJOSEException.class);
        assertThatThrownBy(() -> processor.process(entra.v1().expiresAt(Instant.now().minus(Duration.ofHours(1)))
                .sign(), null)).isInstanceOf(BadJWTException.class).hasMessageContaining("Expired");
        assertThatThrownBy(() -> processor.process(entra.v1().notBefore(Instant.now().plus(Duration.ofHours(1)))
                .sign(), null)).isInstanceOf(BadJWTException.class).hasMessageContaining("before use time");
        assertThatThrownBy(() -> processor.process(entra.v1().without("exp").sign(), null))
                .isInstanceOf(BadJWTException.class).hasMessageContaining("exp");
        assertThatThrownBy(() -> processor.process(entra.v1().alg(JWSAlgorithm.RS512).sign(), null))
                .isInstanceOf(BadJOSEException.class);
    }

    @Test
    void nimbusAloneAcceptsATokenWithoutKidSoTheGatewayMustRequireIt() throws Exception {
        final String token = entra.v1().withoutKid().sign();

        assertThat(SignedJWT.parse(token).getHeader().getKeyID()).isNull();
        assertThat(freshProcessor().process(token, null).getStringClaim("oid")).isEqualTo(EntraTokens.OBJECT_ID);
    }

    @Test
    void anOversizedTokenIsAsLongAsAskedAndStillValid() throws Exception {
        final String token = entra.oversized(16 * 1024);

        assertThat(token.length()).isBetween(16 * 1024, 16 * 1024 + 3);
        assertThat(freshProcessor().process(token, null).getStringClaim("tid")).isEqualTo(TENANT);
    }

    @Test
    void aFailingKeyEndpointIsAKeySourceError() throws Exception {
        entra.failJwks(503);
        try {
            assertThatThrownBy(() -> freshProcessor().process(entra.v1().sign(), null))
                    .isInstanceOf(JOSEException.class);
        } finally {
            entra.failJwks(0);
        }
        assertThat(freshProcessor().process(entra.v1().sign(), null).getStringClaim("tid")).isEqualTo(TENANT);
    }

    private static List<String> kids() {
        return entra.publishedKeys().stream().map(RSAKey::getKeyID).toList();
    }

    private static List<String> concat(String first, List<String> rest) {
        final List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    /** A processor with its own, empty key cache: its first token makes it read the JWKS. */
    private static DefaultJWTProcessor<SecurityContext> freshProcessor() throws MalformedURLException {
        return processor(entra.jwksUrl(), entra.v1Issuer(), EntraTokens.AUDIENCE);
    }

    /** RS256 with the keys at {@code jwks}, this issuer and audience, {@code exp}, {@code tid}, {@code oid} required. */
    private static DefaultJWTProcessor<SecurityContext> processor(URI jwks, String issuer, String audience)
            throws MalformedURLException {
        final JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwks.toURL()).build();
        final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(Set.of(audience),
                new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp", "tid"), Set.of()));
        return processor;
    }
}
