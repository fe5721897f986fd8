package dev.privateupstream.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import dev.privateupstream.config.IdentityConfig;
import dev.privateupstream.identity.TokenCheck.Verdict;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TokenVerifierTest {
    static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    static final String AUDIENCE = "api://contoso-gateway";
    static final String GATEWAY_CLIENT_ID = "c0ffee00-0000-4000-8000-0000000000aa";
    /** The service's managed identity: object (principal) id and client (application) id. */
    static final String MI_OBJECT_ID = "6b0e1d3c-0000-4000-8000-000000000001";
    static final String MI_CLIENT_ID = "11111111-0000-4000-8000-000000000002";
    static final String OTHER_ID = "99999999-0000-4000-8000-000000000009";
    static final String V1_ISSUER = "https://sts.windows.net/" + TENANT + "/";
    static final String V2_ISSUER = "https://login.microsoftonline.com/" + TENANT + "/v2.0";

    static final RSAKey KEY = rsaKey("k1");
    static final RSAKey OTHER_KEY_SAME_KID = rsaKey("k1");
    static final RSAKey SECOND_KEY = rsaKey("k2");

    static final long NOW_MILLIS = 1_700_000_000_000L;
    static final long NOW = NOW_MILLIS / 1000;

    private final AtomicLong clock = new AtomicLong(NOW_MILLIS);
    private final KeySet keys = keySet(KEY, SECOND_KEY);
    private TokenVerifier verifier;

    static IdentityConfig config() {
        return new IdentityConfig(TENANT, List.of(AUDIENCE, GATEWAY_CLIENT_ID), List.of(MI_OBJECT_ID, MI_CLIENT_ID),
                IdentityConfig.defaultIssuers(TENANT), IdentityConfig.defaultJwksUrl(TENANT),
                IdentityConfig.DEFAULT_CLOCK_SKEW);
    }

    @BeforeEach
    void newVerifier() {
        verifier = new TokenVerifier(config(), clock::get);
    }

    static KeySet keySet(RSAKey... keys) {
        final List<JWK> list = new ArrayList<>();
        for (RSAKey key : keys) {
            list.add(key.toPublicJWK());
        }
        return KeySet.parse(new JWKSet(list).toString());
    }

    static RSAKey rsaKey(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The claims of a v1 token (app-only, as a managed identity gets them). */
    static Map<String, Object> v1Claims() {
        final Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("aud", AUDIENCE);
        claims.put("iss", V1_ISSUER);
        claims.put("iat", NOW - 60);
        claims.put("nbf", NOW - 60);
        claims.put("exp", NOW + 86_400);
        claims.put("appid", MI_CLIENT_ID);
        claims.put("appidacr", "2");
        claims.put("idp", V1_ISSUER);
        claims.put("idtyp", "app");
        claims.put("oid", MI_OBJECT_ID);
        claims.put("sub", MI_OBJECT_ID);
        claims.put("tid", TENANT);
        claims.put("ver", "1.0");
        return claims;
    }

    /** The claims of a v2 token: the audience is the client id, the caller's client id is in azp. */
    static Map<String, Object> v2Claims() {
        final Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("aud", GATEWAY_CLIENT_ID);
        claims.put("iss", V2_ISSUER);
        claims.put("iat", NOW - 60);
        claims.put("nbf", NOW - 60);
        claims.put("exp", NOW + 86_400);
        claims.put("azp", MI_CLIENT_ID);
        claims.put("azpacr", "2");
        claims.put("oid", OTHER_ID);
        claims.put("sub", OTHER_ID);
        claims.put("tid", TENANT);
        claims.put("ver", "2.0");
        return claims;
    }

    static JWSHeader.Builder rs256(String kid) {
        return new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).keyID(kid);
    }

    static String sign(JWSSigner signer, JWSHeader header, String payloadJson) {
        final JWSObject jws = new JWSObject(header, new Payload(payloadJson));
        try {
            jws.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jws.serialize();
    }

    static String sign(RSAKey key, JWSHeader header, Map<String, Object> claims) {
        try {
            return sign(new RSASSASigner(key), header, new Payload(claims).toString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String mint(Map<String, Object> claims) {
        return sign(KEY, rs256("k1").build(), claims);
    }

    static String segment(String json) {
        return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** Checks, and asserts that the detail holds no part of the token. */
    private TokenCheck check(String authorization) {
        return check(authorization, keys);
    }

    private TokenCheck check(String authorization, KeySet against) {
        final TokenCheck result = verifier.check(authorization, against);
        assertThat(result).isNotNull();
        assertThat(result.detail()).isNotBlank();
        if (authorization != null) {
            for (String part : authorization.split("[. ]")) {
                if (part.length() > 12) {
                    assertThat(result.detail()).as("detail of %s", result).doesNotContain(part);
                }
            }
        }
        return result;
    }

    private TokenCheck bearer(String token) {
        return check("Bearer " + token);
    }

    @Test
    void aV1TokenOfTheManagedIdentityIsValid() {
        final TokenCheck result = bearer(mint(v1Claims()));
        assertThat(result.verdict()).isEqualTo(Verdict.VALID);
        assertThat(result.caller()).isEqualTo(MI_OBJECT_ID);
        assertThat(result.expiresAtMillis()).isEqualTo((NOW + 86_400) * 1000);
        assertThat(result.detail()).isEqualTo("valid");
    }

    @Test
    void aV2TokenIsValidThroughAzp() {
        final TokenCheck result = bearer(mint(v2Claims()));
        assertThat(result.verdict()).isEqualTo(Verdict.VALID);
        assertThat(result.caller()).isEqualTo(MI_CLIENT_ID);
    }

    @Test
    void appidAloneNamesTheCaller() {
        final Map<String, Object> claims = v1Claims();
        claims.put("oid", OTHER_ID);
        final TokenCheck result = bearer(mint(claims));
        assertThat(result.verdict()).isEqualTo(Verdict.VALID);
        assertThat(result.caller()).isEqualTo(MI_CLIENT_ID);
    }

    @Test
    void callerIdsAndTenantCompareCaseInsensitively() {
        final Map<String, Object> claims = v1Claims();
        claims.put("oid", MI_OBJECT_ID.toUpperCase());
        claims.remove("appid");
        claims.put("tid", TENANT.toUpperCase());
        final TokenCheck result = bearer(mint(claims));
        assertThat(result.verdict()).isEqualTo(Verdict.VALID);
        assertThat(result.caller()).isEqualTo(MI_OBJECT_ID);
    }

    @Test
    void anotherIdentityIsNotAllowed() {
        final Map<String, Object> claims = v1Claims();
        claims.put("oid", OTHER_ID);
        claims.put("appid", "22222222-0000-4000-8000-000000000003");
        final TokenCheck result = bearer(mint(claims));
        assertThat(result.verdict()).isEqualTo(Verdict.NOT_ALLOWED);
        assertThat(result.caller()).isEqualTo(OTHER_ID);
        assertThat(result.expiresAtMillis()).isEqualTo((NOW + 86_400) * 1000);
        assertThat(result.detail()).isEqualTo("oid " + OTHER_ID + " is not an allowed caller");
    }

    @Test
    void aTokenNamingNoCallerIsNotAllowed() {
        final Map<String, Object> claims = v1Claims();
        claims.remove("oid");
        claims.remove("appid");
        claims.put("azp", 42);
        final TokenCheck result = bearer(mint(claims));
        assertThat(result.verdict()).isEqualTo(Verdict.NOT_ALLOWED);
        assertThat(result.caller()).isNull();
    }

    @Test
    void anAbsentOrEmptyHeaderIsMissing() {
        assertThat(check(null).verdict()).isEqualTo(Verdict.MISSING);
        assertThat(check("").verdict()).isEqualTo(Verdict.MISSING);
        assertThat(check("  \t ").verdict()).isEqualTo(Verdict.MISSING);
        assertThat(check(null)).isSameAs(check(""));
    }

    @Test
    void otherSchemesAndBareBearerAreInvalid() {
        final String token = mint(v1Claims());
        for (String value : new String[] {"Basic dXNlcjpwYXNzd29yZA==", "Bearer", "Bearer   ", "Bearer" + token,
                "Bearer\t" + token, "Token " + token, token, "Bear " + token, "DPoP " + token}) {
            assertThat(check(value).verdict()).as(value).isEqualTo(Verdict.INVALID);
        }
        assertThat(check("Basic dXNlcjpwYXNzd29yZA==").detail()).isEqualTo("not a Bearer token");
    }

    @Test
    void theSchemeIsCaseInsensitiveAndSpacesMayRepeat() {
        final String token = mint(v1Claims());
        for (String value : new String[] {"bearer " + token, "BEARER " + token, "Bearer    " + token,
                " Bearer " + token + "  "}) {
            assertThat(new TokenVerifier(config(), clock::get).check(value, keys).verdict())
                    .as(value).isEqualTo(Verdict.VALID);
        }
    }

    @Test
    void anUnsignedTokenIsInvalid() {
        final String header = segment("{\"alg\":\"none\",\"kid\":\"k1\",\"typ\":\"JWT\"}");
        final String payload = new Payload(v1Claims()).toBase64URL().toString();
        final TokenCheck unsigned = bearer(header + "." + payload + ".");
        assertThat(unsigned.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(unsigned.detail()).isEqualTo("token is unsigned (empty signature)");
        // alg none with a signature part borrowed from a real token.
        final String signature = mint(v1Claims()).split("\\.")[2];
        assertThat(bearer(header + "." + payload + "." + signature).verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void anHmacTokenKeyedWithThePublicKeyIsInvalid() throws Exception {
        // The classic confusion: HS256 with the RSA public key's bytes as the shared secret.
        final MACSigner hmac = new MACSigner(KEY.toRSAPublicKey().getEncoded());
        final String token = sign(hmac, new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(),
                new Payload(v1Claims()).toString());
        final TokenCheck result = bearer(token);
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail()).isEqualTo("alg HS256 not accepted (RS256 only)");
        final String hs384 = sign(new MACSigner(KEY.toRSAPublicKey().getEncoded()),
                new JWSHeader.Builder(JWSAlgorithm.HS384).keyID("k1").build(), new Payload(v1Claims()).toString());
        assertThat(bearer(hs384).verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void otherAsymmetricAlgorithmsAreInvalidEvenWithTheRightKey() throws Exception {
        for (JWSAlgorithm alg : new JWSAlgorithm[] {JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256}) {
            final String token = sign(new RSASSASigner(KEY), new JWSHeader.Builder(alg).keyID("k1").build(),
                    new Payload(v1Claims()).toString());
            assertThat(bearer(token).verdict()).as(alg.getName()).isEqualTo(Verdict.INVALID);
        }
        final ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        final String es256 = sign(new ECDSASigner(ec), new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("k1").build(),
                new Payload(v1Claims()).toString());
        assertThat(bearer(es256).verdict()).isEqualTo(Verdict.INVALID);
        assertThat(bearer(es256).detail()).isEqualTo("alg ES256 not accepted (RS256 only)");
    }

    @Test
    void aTamperedPayloadIsInvalid() {
        final String[] genuine = mint(v1Claims()).split("\\.");
        final Map<String, Object> elevated = v1Claims();
        elevated.put("oid", OTHER_ID);
        elevated.put("exp", NOW + 10 * 86_400);
        final String[] other = mint(elevated).split("\\.");
        final TokenCheck result = bearer(genuine[0] + "." + other[1] + "." + genuine[2]);
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail()).isEqualTo("signature does not verify");
        assertThat(bearer(genuine[0] + "." + segment("{\"oid\":\"" + MI_OBJECT_ID + "\"}") + "." + genuine[2])
                .verdict()).isEqualTo(Verdict.INVALID);
        // One flipped character in the signature.
        final char last = genuine[2].charAt(10);
        final String flipped = genuine[2].substring(0, 10) + (last == 'A' ? 'B' : 'A') + genuine[2].substring(11);
        assertThat(bearer(genuine[0] + "." + genuine[1] + "." + flipped).verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void aKeyOfAnotherSetWithTheSameKidDoesNotVerify() {
        final String token = sign(OTHER_KEY_SAME_KID, rs256("k1").build(), v1Claims());
        final TokenCheck result = bearer(token);
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail()).isEqualTo("signature does not verify");
    }

    @Test
    void aKeyInTheHeaderIsNeverUsed() {
        // Signed by an attacker's key, which the header carries as jwk and points to with jku and x5u.
        final JWSHeader header = rs256("k1").jwk(OTHER_KEY_SAME_KID.toPublicJWK())
                .jwkURL(URI.create("https://attacker.example/keys"))
                .x509CertURL(URI.create("https://attacker.example/cert")).build();
        assertThat(bearer(sign(OTHER_KEY_SAME_KID, header, v1Claims())).verdict()).isEqualTo(Verdict.INVALID);
        // The same header fields on a token signed by the real key change nothing.
        assertThat(bearer(sign(KEY, header, v1Claims())).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void anExpiredTokenIsInvalid() {
        final Map<String, Object> claims = v1Claims();
        claims.put("exp", NOW - 600);
        final TokenCheck result = bearer(mint(claims));
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail()).isEqualTo("expired 600 s ago");
        claims.put("exp", NOW - 300);
        assertThat(bearer(mint(claims)).verdict()).as("exactly the skew late").isEqualTo(Verdict.INVALID);
    }

    @Test
    void expWithinTheSkewIsAccepted() {
        final Map<String, Object> claims = v1Claims();
        claims.put("exp", NOW - 299);
        assertThat(bearer(mint(claims)).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void aFutureNbfIsInvalidBeyondTheSkew() {
        final Map<String, Object> claims = v1Claims();
        claims.put("nbf", NOW + 600);
        final TokenCheck result = bearer(mint(claims));
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail()).isEqualTo("not valid for another 600 s (nbf)");
        claims.put("nbf", NOW + 301);
        assertThat(bearer(mint(claims)).verdict()).isEqualTo(Verdict.INVALID);
        claims.put("nbf", NOW + 300);
        assertThat(bearer(mint(claims)).verdict()).isEqualTo(Verdict.VALID);
        claims.remove("nbf");
        assertThat(bearer(mint(claims)).verdict()).as("nbf is optional").isEqualTo(Verdict.VALID);
    }

    @Test
    void expIsRequiredAndMustBeANumber() {
        final Map<String, Object> claims = v1Claims();
        claims.remove("exp");
        assertThat(bearer(mint(claims)).detail()).isEqualTo("no exp claim");
        claims.put("exp", String.valueOf(NOW + 3600));
        assertThat(bearer(mint(claims)).detail()).isEqualTo("exp is not a NumericDate");
        claims.put("exp", 1e300);
        assertThat(bearer(mint(claims)).detail()).isEqualTo("exp is not a NumericDate");
        claims.put("exp", NOW + 3600.5);
        assertThat(bearer(mint(claims)).verdict()).isEqualTo(Verdict.VALID);
        claims.put("exp", NOW + 3600);
        claims.put("nbf", "yesterday");
        assertThat(bearer(mint(claims)).detail()).isEqualTo("nbf is not a NumericDate");
    }

    @Test
    void aForeignAudienceIsInvalid() {
        final Map<String, Object> claims = v1Claims();
        claims.put("aud", "api://another-app");
        final TokenCheck result = bearer(mint(claims));
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail()).isEqualTo("audience api://another-app not accepted");
        claims.put("aud", "API://contoso-gateway");
        assertThat(bearer(mint(claims)).verdict()).as("audiences compare exactly").isEqualTo(Verdict.INVALID);
        claims.put("aud", AUDIENCE + "/");
        assertThat(bearer(mint(claims)).verdict()).isEqualTo(Verdict.INVALID);
        claims.put("aud", List.of("api://another-app", "https://graph.microsoft.com"));
        assertThat(bearer(mint(claims)).verdict()).isEqualTo(Verdict.INVALID);
        claims.remove("aud");
        assertThat(bearer(mint(claims)).detail()).isEqualTo("no aud claim");
    }

    @Test
    void anAudienceArrayNeedsOneAcceptedValue() {
        final Map<String, Object> claims = v1Claims();
        claims.put("aud", List.of("api://another-app", AUDIENCE));
        assertThat(bearer(mint(claims)).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void aForeignIssuerIsInvalid() {
        final Map<String, Object> claims = v1Claims();
        claims.put("iss", "https://sts.windows.net/00000000-0000-0000-0000-000000000000/");
        final TokenCheck result = bearer(mint(claims));
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail())
                .isEqualTo("issuer https://sts.windows.net/00000000-0000-0000-0000-000000000000/ not accepted");
        claims.put("iss", "https://sts.windows.net/" + TENANT);
        assertThat(bearer(mint(claims)).verdict()).as("no trailing slash").isEqualTo(Verdict.INVALID);
        claims.put("iss", List.of(V1_ISSUER));
        assertThat(bearer(mint(claims)).verdict()).isEqualTo(Verdict.INVALID);
        claims.remove("iss");
        assertThat(bearer(mint(claims)).detail()).isEqualTo("no iss claim");
    }

    @Test
    void aForeignTenantIsInvalid() {
        final Map<String, Object> claims = v1Claims();
        claims.put("tid", "00000000-0000-0000-0000-000000000000");
        final TokenCheck result = bearer(mint(claims));
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail()).isEqualTo("tenant 00000000-0000-0000-0000-000000000000 not accepted");
        claims.remove("tid");
        assertThat(bearer(mint(claims)).detail()).isEqualTo("no tid claim");
    }

    @Test
    void aTokenWithoutKidIsInvalid() {
        final String token = sign(KEY, new JWSHeader.Builder(JWSAlgorithm.RS256).build(), v1Claims());
        final TokenCheck result = bearer(token);
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail()).isEqualTo("header has no kid");
    }

    @Test
    void anUnknownKidAsksForAKeyRefresh() {
        final RSAKey rotated = rsaKey("k3");
        final String token = sign(rotated, rs256("k3").build(), v1Claims());
        final TokenCheck result = bearer(token);
        assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN_KEY);
        assertThat(result.detail()).isEqualTo("kid k3 not in the key set");
        assertThat(result.caller()).isNull();
        assertThat(check("Bearer " + mint(v1Claims()), KeySet.empty()).verdict()).isEqualTo(Verdict.UNKNOWN_KEY);
        final KeySet refreshed = keySet(KEY, rotated);
        assertThat(check("Bearer " + token, refreshed).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void aLongKidIsNotEchoed() {
        final String kid = "k".repeat(500);
        final TokenCheck result = bearer(sign(KEY, rs256(kid).build(), v1Claims()));
        assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN_KEY);
        assertThat(result.detail()).isEqualTo("kid (500 characters, not shown) not in the key set");
    }

    @Test
    void aHugeTokenIsRefusedUnread() {
        final String huge = "eyJ" + "A".repeat(100 * 1024) + ".eyJ.sig";
        final TokenCheck result = bearer(huge);
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail()).isEqualTo("token longer than 16384 characters");
        final Map<String, Object> claims = v1Claims();
        claims.put("pad", "x".repeat(17 * 1024));
        assertThat(bearer(mint(claims)).detail()).isEqualTo("token longer than 16384 characters");
        assertThat(check("Bearer " + " ".repeat(20_000) + mint(v1Claims())).verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void typMustBeJwtOrAccessTokenJwt() {
        for (String typ : new String[] {"JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt", "application/jwt"}) {
            final String token = sign(KEY, rs256("k1").type(new JOSEObjectType(typ)).build(), v1Claims());
            assertThat(bearer(token).verdict()).as(typ).isEqualTo(Verdict.VALID);
        }
        for (String typ : new String[] {"JOSE", "JOSE+JSON", "id+jwt", "text/jwt", ""}) {
            final String token = sign(KEY, rs256("k1").type(new JOSEObjectType(typ)).build(), v1Claims());
            assertThat(bearer(token).verdict()).as(typ).isEqualTo(Verdict.INVALID);
        }
        final String noTyp = sign(KEY, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), v1Claims());
        assertThat(bearer(noTyp).verdict()).isEqualTo(Verdict.VALID);
    }

    @Test
    void aCriticalHeaderIsInvalid() {
        final String token = sign(KEY, rs256("k1").criticalParams(Set.of("x-ms-policy"))
                .customParam("x-ms-policy", "strict").build(), v1Claims());
        final TokenCheck result = bearer(token);
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.detail()).isEqualTo("header has crit: no extension is understood");
    }

    @Test
    void whatIsNotACompactJwsIsInvalid() {
        final String[] parts = mint(v1Claims()).split("\\.");
        assertThat(bearer("abc").detail()).isEqualTo("token is not 3 parts separated by '.'");
        assertThat(bearer("a.b.c.d.e").detail()).isEqualTo("token is a JWE (5 parts), not a JWS");
        assertThat(bearer(".b.c").detail()).isEqualTo("token has an empty header or payload");
        assertThat(bearer(parts[0] + ".." + parts[2]).detail()).isEqualTo("token has an empty header or payload");
        assertThat(bearer(parts[0] + "=." + parts[1] + "." + parts[2]).detail())
                .isEqualTo("token has characters outside unpadded base64url and '.'");
        assertThat(bearer(parts[0] + "." + parts[1] + "+/." + parts[2]).verdict()).isEqualTo(Verdict.INVALID);
        assertThat(bearer("a.b.c").detail()).isEqualTo("header is not a JWS header");
        assertThat(bearer(segment("[1,2]") + "." + parts[1] + "." + parts[2]).verdict()).isEqualTo(Verdict.INVALID);
        assertThat(bearer(segment("{\"alg\":\"RS256\",\"kid\":\"k1\"}") + "." + segment("[]") + "."
                + parts[2]).verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void aSignedPayloadThatIsNotAnObjectIsInvalid() throws Exception {
        final String token = sign(new RSASSASigner(KEY), rs256("k1").build(), "[\"not\",\"claims\"]");
        assertThat(bearer(token).detail()).isEqualTo("payload is not a JSON object");
    }

    @Test
    void aVerifiedTokenIsRememberedForTheSameKeySet() throws Exception {
        final CountingVerifier counting = new CountingVerifier(new RSASSAVerifier(KEY.toRSAPublicKey()));
        final KeySet observed = KeySet.of(Map.of("k1", counting));
        final String authorization = "Bearer " + mint(v1Claims());
        final TokenCheck first = check(authorization, observed);
        final TokenCheck second = check(authorization, observed);
        assertThat(first.verdict()).isEqualTo(Verdict.VALID);
        assertThat(second).isSameAs(first);
        assertThat(counting.calls.get()).isEqualTo(1);
        assertThat(verifier.cachedTokens()).isEqualTo(1);
    }

    @Test
    void aTokenOfAnotherCallerIsRememberedToo() throws Exception {
        final CountingVerifier counting = new CountingVerifier(new RSASSAVerifier(KEY.toRSAPublicKey()));
        final KeySet observed = KeySet.of(Map.of("k1", counting));
        final Map<String, Object> claims = v1Claims();
        claims.put("oid", OTHER_ID);
        claims.remove("appid");
        final String authorization = "Bearer " + mint(claims);
        assertThat(check(authorization, observed).verdict()).isEqualTo(Verdict.NOT_ALLOWED);
        assertThat(check(authorization, observed).verdict()).isEqualTo(Verdict.NOT_ALLOWED);
        assertThat(counting.calls.get()).isEqualTo(1);
    }

    @Test
    void failuresAreNotRemembered() throws Exception {
        final CountingVerifier counting = new CountingVerifier(new RSASSAVerifier(KEY.toRSAPublicKey()));
        final KeySet observed = KeySet.of(Map.of("k1", counting));
        final Map<String, Object> claims = v1Claims();
        claims.put("aud", "api://another-app");
        final String authorization = "Bearer " + mint(claims);
        check(authorization, observed);
        check(authorization, observed);
        assertThat(counting.calls.get()).isEqualTo(2);
        assertThat(verifier.cachedTokens()).isZero();
    }

    @Test
    void aRefreshedKeySetMeansVerifyingAgain() throws Exception {
        final CountingVerifier counting = new CountingVerifier(new RSASSAVerifier(KEY.toRSAPublicKey()));
        final KeySet before = KeySet.of(Map.of("k1", counting));
        final KeySet after = KeySet.of(Map.of("k1", counting));
        final String authorization = "Bearer " + mint(v1Claims());
        assertThat(check(authorization, before).verdict()).isEqualTo(Verdict.VALID);
        assertThat(check(authorization, after).verdict()).isEqualTo(Verdict.VALID);
        assertThat(counting.calls.get()).isEqualTo(2);
        assertThat(check(authorization, after).verdict()).isEqualTo(Verdict.VALID);
        assertThat(counting.calls.get()).isEqualTo(2);
        // A key set where the kid now names another key: the remembered answer does not carry over.
        final KeySet rotated = keySet(OTHER_KEY_SAME_KID);
        assertThat(check(authorization, rotated).verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void aRememberedTokenExpiresWithTheClock() throws Exception {
        final CountingVerifier counting = new CountingVerifier(new RSASSAVerifier(KEY.toRSAPublicKey()));
        final KeySet observed = KeySet.of(Map.of("k1", counting));
        final Map<String, Object> claims = v1Claims();
        claims.put("exp", NOW + 3600);
        final String authorization = "Bearer " + mint(claims);
        assertThat(check(authorization, observed).verdict()).isEqualTo(Verdict.VALID);
        clock.set((NOW + 3600 + 299) * 1000);
        assertThat(check(authorization, observed).verdict()).as("within the skew").isEqualTo(Verdict.VALID);
        clock.set((NOW + 3600 + 300) * 1000);
        final TokenCheck expired = check(authorization, observed);
        assertThat(expired.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(expired.detail()).isEqualTo("expired 300 s ago");
        assertThat(counting.calls.get()).isEqualTo(1);
        assertThat(verifier.cachedTokens()).isZero();
        assertThat(check(authorization, observed).verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void theCacheStaysBounded() {
        final TokenVerifier small = new TokenVerifier(config(), clock::get, 3);
        final Map<String, Object> claims = v1Claims();
        for (int i = 0; i < 3; i++) {
            claims.put("exp", NOW + 60 + i);
            assertThat(small.check("Bearer " + mint(claims), keys).verdict()).isEqualTo(Verdict.VALID);
        }
        assertThat(small.cachedTokens()).isEqualTo(3);
        // Full of live tokens: the next one clears the cache.
        claims.put("exp", NOW + 3600);
        final String longLived = "Bearer " + mint(claims);
        assertThat(small.check(longLived, keys).verdict()).isEqualTo(Verdict.VALID);
        assertThat(small.cachedTokens()).isEqualTo(1);
        claims.put("exp", NOW + 3601);
        small.check("Bearer " + mint(claims), keys);
        claims.put("exp", NOW + 3602);
        small.check("Bearer " + mint(claims), keys);
        assertThat(small.cachedTokens()).isEqualTo(3);
        // Full again, but two of them have expired by now: only those go.
        clock.set((NOW + 3601 + 300) * 1000);
        claims.put("exp", NOW + 7200);
        small.check("Bearer " + mint(claims), keys);
        assertThat(small.cachedTokens()).isEqualTo(2);
    }

    @Test
    void nothingThrowsOnOddInput() {
        for (String value : new String[] {"Bearer .", "Bearer ..", "Bearer ...", "Bearer a.b.", "Bearer e30.e30.e30",
                "Bearer " + segment("{\"alg\":\"RS256\"}") + ".e30.AAAA",
                "Bearer " + segment("{\"alg\":\"RS256\",\"kid\":\"k1\"}") + ".e30.AAAA",
                "Bearer " + segment("{\"alg\":\"RS256\",\"kid\":\"k1\",\"jwk\":{\"kty\":\"RSA\"}}") + ".e30.AAAA",
                "Bearer " + segment("{\"alg\":\"RS256\",\"kid\":[1]}") + ".e30.AAAA",
                "Bearer " + segment("{\"alg\":\"RS256\",\"kid\":\"k1\",\"b64\":false,\"crit\":[\"b64\"]}")
                        + ".e30.AAAA",
                "Bearer " + segment("{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":5}") + ".e30.AAAA",
                "Bearer " + segment("{".repeat(5000)) + ".e30.AAAA"}) {
            assertThat(check(value).verdict()).as(value).isEqualTo(Verdict.INVALID);
        }
    }

    /** A verifier that counts its RSA checks. */
    static final class CountingVerifier implements JWSVerifier {
        final AtomicInteger calls = new AtomicInteger();
        private final JWSVerifier delegate;

        CountingVerifier(JWSVerifier delegate) {
            this.delegate = delegate;
        }

        @Override
        public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException {
            calls.incrementAndGet();
            return delegate.verify(header, signingInput, signature);
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return delegate.supportedJWSAlgorithms();
        }

        @Override
        public JCAContext getJCAContext() {
            return delegate.getJCAContext();
        }
    }
}
