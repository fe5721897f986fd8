package dev.privateupstream.signalr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

class SignatureVerifierTest {

    private static final String PRIMARY = "primary-access-key-0123456789";
    private static final String SECONDARY = "secondary-access-key-9876543210";
    private static final String RETIRED = "retired-access-key";
    private static final String CONNECTION_ID = "qGBZX8YbFMoN1bGgcFl5JgSJ8X0aB5ns3yWPdBnYD1k";

    private final SignatureVerifier verifier = new SignatureVerifier(List.of(PRIMARY, SECONDARY));

    /** The reference value, computed here with the JDK alone and not with the class under test. */
    private static String hmacHex(String key, String connectionId) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(connectionId.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void knownVector() throws Exception {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assertThat(hmacHex("Jefe", "what do ya want for nothing?"))
            .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assertThat(SignatureVerifier.sign("Jefe", "what do ya want for nothing?"))
            .isEqualTo("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    @Test
    void signMatchesIndependentHmac() throws Exception {
        assertThat(SignatureVerifier.sign(PRIMARY, CONNECTION_ID)).isEqualTo("sha256=" + hmacHex(PRIMARY, CONNECTION_ID));
    }

    @Test
    void lowerCaseHex() throws Exception {
        assertThat(verifier.check(CONNECTION_ID, "sha256=" + hmacHex(PRIMARY, CONNECTION_ID)))
            .isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void upperCaseHexAsTheServiceSendsIt() throws Exception {
        final String upper = hmacHex(PRIMARY, CONNECTION_ID).toUpperCase(Locale.ROOT);
        assertThat(verifier.check(CONNECTION_ID, "sha256=" + upper)).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void upperCasePrefix() throws Exception {
        final String hex = hmacHex(PRIMARY, CONNECTION_ID);
        assertThat(verifier.check(CONNECTION_ID, "SHA256=" + hex.toUpperCase(Locale.ROOT))).isEqualTo(SignatureCheck.VALID);
        assertThat(verifier.check(CONNECTION_ID, "Sha256=" + hex)).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void mixedCaseHex() throws Exception {
        final char[] hex = hmacHex(PRIMARY, CONNECTION_ID).toCharArray();
        for (int i = 0; i < hex.length; i += 2) {
            hex[i] = Character.toUpperCase(hex[i]);
        }
        assertThat(verifier.check(CONNECTION_ID, "sha256=" + new String(hex))).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void twoEntriesWithoutSpace() throws Exception {
        final String header = "sha256=" + hmacHex(PRIMARY, CONNECTION_ID) + ",sha256=" + hmacHex(SECONDARY, CONNECTION_ID);
        assertThat(verifier.check(CONNECTION_ID, header)).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void twoEntriesWithSpaceAfterComma() throws Exception {
        final String header = "sha256=" + hmacHex(PRIMARY, CONNECTION_ID) + ", sha256=" + hmacHex(SECONDARY, CONNECTION_ID);
        assertThat(verifier.check(CONNECTION_ID, header)).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void onlyTheSecondEntryMatchesAfterASpace() throws Exception {
        // The service signs with a key we no longer hold first; the trimmed second entry must still count.
        final String header = "sha256=" + hmacHex(RETIRED, CONNECTION_ID) + ", sha256=" + hmacHex(PRIMARY, CONNECTION_ID);
        assertThat(verifier.check(CONNECTION_ID, header)).isEqualTo(SignatureCheck.VALID);
        final String tabs = "sha256=" + hmacHex(RETIRED, CONNECTION_ID) + ",\tsha256=" + hmacHex(PRIMARY, CONNECTION_ID) + " \t";
        assertThat(verifier.check(CONNECTION_ID, tabs)).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void matchOnSecondConfiguredKey() throws Exception {
        assertThat(verifier.check(CONNECTION_ID, "sha256=" + hmacHex(SECONDARY, CONNECTION_ID))).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void rotatedOutKeyIsInvalid() throws Exception {
        final SignatureVerifier rotated = new SignatureVerifier(List.of(SECONDARY));
        assertThat(rotated.check(CONNECTION_ID, "sha256=" + hmacHex(PRIMARY, CONNECTION_ID))).isEqualTo(SignatureCheck.INVALID);
        assertThat(rotated.check(CONNECTION_ID, "sha256=" + hmacHex(SECONDARY, CONNECTION_ID))).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void nonAsciiConnectionIdIsSignedAsUtf8() throws Exception {
        final String id = "conn-ü-東京-😀";
        assertThat(verifier.check(id, "sha256=" + hmacHex(PRIMARY, id))).isEqualTo(SignatureCheck.VALID);
        // The same text signed as Latin-1 must not pass.
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(PRIMARY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        final String latin1 = HexFormat.of().formatHex(mac.doFinal(id.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(verifier.check(id, "sha256=" + latin1)).isEqualTo(SignatureCheck.INVALID);
    }

    @Test
    void wireValueOfNonAsciiConnectionId() throws Exception {
        // What an HTTP/1 decoder such as Netty's hands over: the UTF-8 bytes on the wire, one char each.
        final String id = "conn-ü-東京";
        final String wire = new String(id.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        final String header = "sha256=" + hmacHex(PRIMARY, id);
        assertThat(verifier.checkWireValue(wire, header)).isEqualTo(SignatureCheck.VALID);
        assertThat(verifier.check(wire, header)).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.checkWireValue(id, header)).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.checkWireValue(CONNECTION_ID, "sha256=" + hmacHex(SECONDARY, CONNECTION_ID))).isEqualTo(SignatureCheck.VALID);
        assertThat(verifier.checkWireValue(CONNECTION_ID, null)).isEqualTo(SignatureCheck.MISSING);
        assertThat(verifier.checkWireValue(null, header)).isEqualTo(SignatureCheck.INVALID);
    }

    @Test
    void loneSurrogateSignsAsStringGetBytesDoes() throws Exception {
        final String id = "conn-\ud800-x";
        assertThat(verifier.check(id, "sha256=" + hmacHex(PRIMARY, id))).isEqualTo(SignatureCheck.VALID);
        assertThat(verifier.check(id, SignatureVerifier.sign(SECONDARY, id))).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void keysAreUtf8() throws Exception {
        final String key = "schlüssel-鍵";
        assertThat(new SignatureVerifier(List.of(key)).check(CONNECTION_ID, "sha256=" + hmacHex(key, CONNECTION_ID)))
            .isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void longConnectionIdGrowsTheBuffer() throws Exception {
        final String id = "x".repeat(5000) + "é";
        assertThat(verifier.check(id, "sha256=" + hmacHex(SECONDARY, id))).isEqualTo(SignatureCheck.VALID);
        assertThat(verifier.check(CONNECTION_ID, "sha256=" + hmacHex(SECONDARY, CONNECTION_ID))).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void signatureOfAnotherConnectionIsInvalid() throws Exception {
        assertThat(verifier.check(CONNECTION_ID, "sha256=" + hmacHex(PRIMARY, CONNECTION_ID + "x"))).isEqualTo(SignatureCheck.INVALID);
    }

    @Test
    void missingHeader() {
        assertThat(verifier.check(CONNECTION_ID, null)).isEqualTo(SignatureCheck.MISSING);
        assertThat(verifier.check(CONNECTION_ID, "")).isEqualTo(SignatureCheck.MISSING);
        assertThat(verifier.check(CONNECTION_ID, "  ")).isEqualTo(SignatureCheck.MISSING);
        assertThat(verifier.check(null, null)).isEqualTo(SignatureCheck.MISSING);
    }

    @Test
    void missingConnectionIdIsInvalid() throws Exception {
        final String header = "sha256=" + hmacHex(PRIMARY, "");
        assertThat(verifier.check(null, header)).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.check("", header)).isEqualTo(SignatureCheck.INVALID);
    }

    @Test
    void garbageEntries() throws Exception {
        final String hex = hmacHex(PRIMARY, CONNECTION_ID);
        assertThat(verifier.check(CONNECTION_ID, "garbage")).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.check(CONNECTION_ID, hex)).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.check(CONNECTION_ID, "sha1=" + hex)).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.check(CONNECTION_ID, "sha256 =" + hex)).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.check(CONNECTION_ID, "sha256=" + hex + "0")).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.check(CONNECTION_ID, "sha256=" + hex.substring(1))).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.check(CONNECTION_ID, "sha256=" + hex.substring(0, 40) + " " + hex.substring(41))).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.check(CONNECTION_ID, "sha256=" + "z".repeat(64))).isEqualTo(SignatureCheck.INVALID);
        // Folding by bit alone would take these control characters for digits (0x10 | 0x20 == '0').
        final String controls = hex.replace('0', '\u0010').replace('1', '\u0011');
        if (!controls.equals(hex)) {
            assertThat(verifier.check(CONNECTION_ID, "sha256=" + controls)).isEqualTo(SignatureCheck.INVALID);
        }
        assertThat(verifier.check(CONNECTION_ID, "garbage, sha256=" + hex + ", more garbage")).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void emptyEntries() throws Exception {
        final String hex = hmacHex(SECONDARY, CONNECTION_ID);
        assertThat(verifier.check(CONNECTION_ID, ",")).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.check(CONNECTION_ID, " , ,")).isEqualTo(SignatureCheck.INVALID);
        assertThat(verifier.check(CONNECTION_ID, ",,sha256=" + hex + ",,")).isEqualTo(SignatureCheck.VALID);
        assertThat(verifier.check(CONNECTION_ID, "sha256=")).isEqualTo(SignatureCheck.INVALID);
    }

    @Test
    void noKeysMeansEveryPresentSignatureIsInvalid() throws Exception {
        final SignatureVerifier none = new SignatureVerifier(List.of());
        assertThat(none.keyCount()).isZero();
        assertThat(none.check(CONNECTION_ID, "sha256=" + hmacHex(PRIMARY, CONNECTION_ID))).isEqualTo(SignatureCheck.INVALID);
        assertThat(none.check(CONNECTION_ID, null)).isEqualTo(SignatureCheck.MISSING);
    }

    @Test
    void acceptsAnyCharSequence() throws Exception {
        final StringBuilder header = new StringBuilder("sha256=").append(hmacHex(PRIMARY, CONNECTION_ID));
        assertThat(verifier.check(new StringBuilder(CONNECTION_ID), header)).isEqualTo(SignatureCheck.VALID);
    }

    @Test
    void rejectsEmptyKeys() {
        assertThatThrownBy(() -> new SignatureVerifier(List.of(PRIMARY, "")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("accessKeys[1]");
        assertThatThrownBy(() -> SignatureVerifier.sign("", CONNECTION_ID)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SignatureVerifier(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void threadsDoNotShareMacs() throws Exception {
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            final List<Callable<Boolean>> tasks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                final int thread = t;
                tasks.add(() -> {
                    for (int i = 0; i < 500; i++) {
                        final String id = "conn-" + thread + "-" + i;
                        final String key = (i & 1) == 0 ? PRIMARY : SECONDARY;
                        if (verifier.check(id, "sha256=" + hmacHex(key, id)) != SignatureCheck.VALID
                            || verifier.check(id, "sha256=" + hmacHex(RETIRED, id)) != SignatureCheck.INVALID) {
                            return false;
                        }
                    }
                    return true;
                });
            }
            for (Future<Boolean> result : pool.invokeAll(tasks)) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
