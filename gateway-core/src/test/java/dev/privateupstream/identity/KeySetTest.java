package dev.privateupstream.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeySetTest {
    private static final RSAKey A = TokenVerifierTest.rsaKey("a");
    private static final RSAKey B = TokenVerifierTest.rsaKey("b");

    private static String document(JWK... keys) {
        return new JWKSet(List.of(keys)).toString();
    }

    private static RSAKey.Builder publicOf(RSAKey key) {
        return new RSAKey.Builder(key.toPublicJWK());
    }

    @Test
    void keepsRsaSigningKeysInDocumentOrder() {
        final KeySet keys = KeySet.parse(document(A.toPublicJWK(), B.toPublicJWK()));
        assertThat(keys.size()).isEqualTo(2);
        assertThat(keys.kids()).containsExactly("a", "b");
        assertThat(keys.contains("a")).isTrue();
        assertThat(keys.contains("c")).isFalse();
        assertThat(keys.verifier("a")).isNotNull().isSameAs(keys.verifier("a"));
        assertThat(keys.verifier("c")).isNull();
        assertThat(keys.toString()).isEqualTo("KeySet[a, b]");
    }

    @Test
    void readsAnEntraShapedDocument() {
        // The members login.microsoftonline.com publishes besides the key itself (x5c left out: it must match).
        final String json = "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"a\",\"x5t\":\"a\",\"n\":\""
                + A.getModulus() + "\",\"e\":\"AQAB\","
                + "\"issuer\":\"https://login.microsoftonline.com/{tenantid}/v2.0\","
                + "\"cloud_instance_name\":\"microsoftonline.com\"}]}";
        assertThat(KeySet.parse(json).kids()).containsExactly("a");
    }

    @Test
    void skipsKeysThatCannotCheckAnRs256Token() throws Exception {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        final RSAKey weak = new RSAKey.Builder((RSAPublicKey) generator.generateKeyPair().getPublic()).keyID("weak")
                .build();
        final KeySet keys = KeySet.parse(document(
                publicOf(A).keyID(null).build(),
                publicOf(A).keyID("enc").keyUse(KeyUse.ENCRYPTION).build(),
                publicOf(A).keyID("rs512").algorithm(JWSAlgorithm.RS512).build(),
                publicOf(A).keyID("sign-only").keyOperations(Set.of(KeyOperation.SIGN)).build(),
                weak,
                new ECKeyGenerator(Curve.P_256).keyID("ec").generate().toPublicJWK(),
                new OctetSequenceKeyGenerator(256).keyID("hmac").generate(),
                publicOf(B).keyID("kept").keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256)
                        .keyOperations(Set.of(KeyOperation.VERIFY)).build()));
        assertThat(keys.kids()).containsExactly("kept");
    }

    @Test
    void skipsUnreadableEntriesButKeepsTheRest() {
        final String json = "{\"keys\":[\"text\",42,null,{},{\"kty\":\"RSA\",\"kid\":\"broken\",\"n\":\"!!\"},"
                + "{\"kty\":\"AKP\",\"kid\":\"future\"},{\"kty\":\"RSA\",\"kid\":\"no-exponent\",\"n\":\""
                + A.getModulus() + "\"}," + A.toPublicJWK().toJSONString() + "]}";
        assertThat(KeySet.parse(json).kids()).containsExactly("a");
    }

    @Test
    void theFirstKeyOfAKidWins() {
        final KeySet keys = KeySet.parse(document(A.toPublicJWK(), publicOf(B).keyID("a").build()));
        assertThat(keys.size()).isEqualTo(1);
        final TokenVerifier verifier =
                new TokenVerifier(TokenVerifierTest.config(), () -> TokenVerifierTest.NOW_MILLIS);
        final String byA = TokenVerifierTest.sign(A, TokenVerifierTest.rs256("a").build(),
                TokenVerifierTest.v1Claims());
        final String byB = TokenVerifierTest.sign(B, TokenVerifierTest.rs256("a").build(),
                TokenVerifierTest.v1Claims());
        assertThat(verifier.check("Bearer " + byA, keys).verdict()).isEqualTo(TokenCheck.Verdict.VALID);
        assertThat(verifier.check("Bearer " + byB, keys).verdict()).isEqualTo(TokenCheck.Verdict.INVALID);
    }

    @Test
    void aPrivateKeyInTheDocumentIsUsedForItsPublicPartOnly() {
        assertThat(KeySet.parse(document(A)).kids()).containsExactly("a");
    }

    @Test
    void aDocumentWithNoUsableKeyIsAnEmptySet() {
        assertThat(KeySet.parse("{\"keys\":[]}").size()).isZero();
        assertThat(KeySet.parse("{\"keys\":[],\"other\":1}").kids()).isEmpty();
    }

    @Test
    void refusesWhatIsNotAJwkSet() {
        for (String json : new String[] {"", "null", "[]", "[{\"keys\":[]}]", "not json", "{\"keys\":{}}",
                "{\"keys\":\"a\"}", "{}", "{\"key\":[]}", "{\"keys\":[", "<html>Service unavailable</html>"}) {
            assertThatThrownBy(() -> KeySet.parse(json)).as(json).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not a JWK set: expected ");
        }
        assertThatThrownBy(() -> KeySet.parse("{}"))
                .hasMessage("not a JWK set: expected a \"keys\" array, found no \"keys\" member");
    }

    @Test
    void theEmptySetHasNoKeys() {
        assertThat(KeySet.empty().size()).isZero();
        assertThat(KeySet.empty().contains("a")).isFalse();
        assertThat(KeySet.empty().kids()).isEmpty();
        assertThat(KeySet.empty()).isSameAs(KeySet.empty());
    }

    @Test
    void kidsCannotBeChanged() {
        final KeySet keys = KeySet.parse(document(A.toPublicJWK()));
        assertThatThrownBy(() -> keys.kids().remove("a")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(keys.contains("a")).isTrue();
    }
}
