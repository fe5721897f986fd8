package dev.privateupstream.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import dev.privateupstream.identity.TokenCheck.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of {@link TokenVerifier#check} (Jazzer): whatever the {@code Authorization} value,
 * the check returns a verdict and never throws, and it answers {@code VALID} or {@code NOT_ALLOWED} only for a
 * token whose signature the test made with the key of the set.
 *
 * <p>The first byte picks how the rest is used: {@code '0'} (mod 4) the whole header value, {@code '1'}
 * {@code "Bearer "} and the rest, {@code '2'} a header JSON, a NUL and a payload JSON, signed by the test with
 * the set's key {@code fuzz-key} (so the fuzzer reaches the header and claim checks), {@code '3'} the same with
 * the bytes after a second NUL as the signature (a forgery). In the default build only the committed corpus
 * under {@code TokenParseFuzzTestInputs/} runs; {@code JAZZER_FUZZ=1} fuzzes (see the README, "Fuzzing"). By
 * default Jazzer guides by coverage of this package only; add
 * {@code -Djazzer.instrumentation_includes='com.nimbusds.**:dev.privateupstream.**'} to steer into Nimbus' parsers.
 */
class TokenParseFuzzTest {
    private static final RSAKey KEY = TokenVerifierTest.rsaKey("fuzz-key");
    private static final KeySet KEYS = KeySet.parse(
            new JWKSet(List.of(KEY.toPublicJWK(), TokenVerifierTest.rsaKey("other-key").toPublicJWK())).toString());
    private static final TokenVerifier VERIFIER =
            new TokenVerifier(TokenVerifierTest.config(), () -> TokenVerifierTest.NOW_MILLIS);

    @FuzzTest(maxDuration = "10m")
    void onlyTokensSignedWithTheKeyPass(byte[] input) {
        checkOne(input);
    }

    /** The harness reaches the verdicts that matter, so the property above is not vacuous. */
    @Test
    void signedInputsReachEveryVerdict() {
        final String header = "{\"alg\":\"RS256\",\"kid\":\"fuzz-key\"}";
        final String claims = new Payload(TokenVerifierTest.v1Claims()).toString();
        assertThat(checkOne(("2" + header + "\0" + claims).getBytes(StandardCharsets.UTF_8)).verdict())
                .isEqualTo(Verdict.VALID);
        assertThat(checkOne(("2" + header + "\0" + new Payload(TokenVerifierTest.v2Claims().entrySet().stream()
                .filter(claim -> !claim.getKey().equals("azp"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)))).getBytes(StandardCharsets.UTF_8))
                .verdict()).isEqualTo(Verdict.NOT_ALLOWED);
        assertThat(checkOne(("3" + header + "\0" + claims + "\0forged").getBytes(StandardCharsets.UTF_8)).verdict())
                .isEqualTo(Verdict.INVALID);
        assertThat(checkOne(("2{\"alg\":\"RS256\",\"kid\":\"rotated\"}\0" + claims)
                .getBytes(StandardCharsets.UTF_8)).verdict()).isEqualTo(Verdict.UNKNOWN_KEY);
        assertThat(checkOne("0".getBytes(StandardCharsets.UTF_8)).verdict()).isEqualTo(Verdict.MISSING);
    }

    private static TokenCheck checkOne(byte[] input) {
        final int mode = input.length == 0 ? 0 : input[0] & 3;
        final byte[] rest = input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length);
        final String authorization;
        String genuineSignature = null;
        switch (mode) {
            case 0:
                authorization = new String(rest, StandardCharsets.ISO_8859_1);
                break;
            case 1:
                authorization = "Bearer " + new String(rest, StandardCharsets.ISO_8859_1);
                break;
            default:
                final int headerEnd = indexOfNul(rest, 0);
                final int payloadEnd = indexOfNul(rest, headerEnd + 1);
                final byte[] header = Arrays.copyOfRange(rest, 0, headerEnd);
                final byte[] payload = Arrays.copyOfRange(rest, Math.min(headerEnd + 1, rest.length), payloadEnd);
                final String signingInput = Base64URL.encode(header) + "." + Base64URL.encode(payload);
                genuineSignature = sign(signingInput);
                final String signature = mode == 2 ? genuineSignature : Base64URL.encode(
                        Arrays.copyOfRange(rest, Math.min(payloadEnd + 1, rest.length), rest.length)).toString();
                authorization = "Bearer " + signingInput + "." + signature;
                break;
        }
        final TokenCheck first = VERIFIER.check(authorization, KEYS);
        final TokenCheck again = VERIFIER.check(authorization, KEYS);
        if (first == null || first.detail() == null || again == null || first.verdict() != again.verdict()) {
            throw new AssertionError("a verdict, the same twice: " + first + " then " + again);
        }
        final boolean accepted = first.verdict() == Verdict.VALID || first.verdict() == Verdict.NOT_ALLOWED;
        if (accepted && (genuineSignature == null || !authorization.endsWith("." + genuineSignature))) {
            throw new AssertionError("accepted a token the test did not sign: " + first);
        }
        if (first.verdict() == Verdict.VALID && first.caller() == null) {
            throw new AssertionError("a valid token names its caller");
        }
        return first;
    }

    private static int indexOfNul(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return i;
            }
        }
        return bytes.length;
    }

    private static String sign(String signingInput) {
        try {
            return new RSASSASigner(KEY).sign(new JWSHeader(JWSAlgorithm.RS256),
                    signingInput.getBytes(StandardCharsets.US_ASCII)).toString();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
