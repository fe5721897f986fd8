package dev.privateupstream.identity;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.jwk.RSAKey;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing (Jazzer) of the JWKS document the gateway fetches from the identity provider
 * (SPEC §13): {@link KeySet#parse} on the fetched text as it is, or with a fuzzed entry after a good RSA signing
 * key, or with one member of that key replaced by fuzzed JSON.
 *
 * <ul>
 *   <li>It returns or throws {@link IllegalArgumentException}, the one exception {@code KeySetSource} turns into
 *       a failed fetch; nothing else.</li>
 *   <li>One odd entry does not cost the others: a document that reads, whose first entry is the good key, keeps
 *       that key.</li>
 *   <li>Every key kept has a non-empty {@code kid} and a verifier.</li>
 * </ul>
 *
 * <p>Input: one byte for the shape, then the text (UTF-8). In the default build only the seeds under
 * {@code KeySetFuzzTestInputs/} run; {@code JAZZER_FUZZ=1} fuzzes (see the README, "Fuzzing"). Add
 * {@code -Djazzer.instrumentation_includes='com.nimbusds.**:dev.privateupstream.**'} to steer into Nimbus' JSON
 * and JWK parsers.
 */
class KeySetFuzzTest {
    private static final RSAKey KEY = TokenVerifierTest.rsaKey("good-key").toPublicJWK();
    private static final String GOOD = KEY.toJSONString();
    private static final String[] MEMBERS = {"kty", "kid", "use", "alg", "key_ops", "n", "e"};

    @FuzzTest(maxDuration = "10m")
    void jwksParsesOrIsRefused(byte[] input) {
        if (input.length == 0) {
            return;
        }
        final String text = new String(input, 1, input.length - 1, StandardCharsets.UTF_8);
        final int shape = (input[0] & 0xff) % 3;
        final String document = switch (shape) {
            case 1 -> "{\"keys\":[" + GOOD + "," + text + "]}";
            case 2 -> "{\"keys\":[" + replaced(MEMBERS[(input[0] & 0xff) / 3 % MEMBERS.length], text) + "]}";
            default -> text;
        };
        final KeySet keys;
        try {
            keys = KeySet.parse(document);
        } catch (IllegalArgumentException e) {
            return; // a failed fetch; the keys in force stay
        }
        if (shape == 1 && !keys.contains("good-key")) {
            throw new AssertionError("lost the good key to the entry after it: " + document);
        }
        for (String kid : keys.kids()) {
            if (kid == null || kid.isEmpty() || keys.verifier(kid) == null) {
                throw new AssertionError("kept kid '" + kid + "' from " + document);
            }
        }
        if (keys.kids().size() != keys.size()) {
            throw new AssertionError(keys.kids() + " but size " + keys.size());
        }
    }

    /** The good key with one member's value replaced by {@code json}. */
    private static String replaced(String member, String json) {
        final String key = "\"" + member + "\":";
        final int at = GOOD.indexOf(key);
        if (at < 0) {
            return GOOD.substring(0, GOOD.length() - 1) + "," + key + json + "}";
        }
        final int start = at + key.length();
        int end = start;
        final char first = GOOD.charAt(start);
        if (first == '"') {
            end = GOOD.indexOf('"', start + 1) + 1;
        } else if (first == '[') {
            end = GOOD.indexOf(']', start) + 1;
        } else {
            while (end < GOOD.length() && GOOD.charAt(end) != ',' && GOOD.charAt(end) != '}') {
                end++;
            }
        }
        return GOOD.substring(0, start) + json + GOOD.substring(end);
    }
}
