package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class SkipTokenTest {
    @Test
    void decodesWhatItEncodes() {
        for (String name : new String[] {"a", "contoso-func-spe", "spe-000123", "Ünïcode-名前", "x".repeat(500)}) {
            final String token = SkipToken.encode(name);
            assertThat(token).startsWith("1.").doesNotContain("=", "+", "/", "&", "%");
            assertThat(SkipToken.decode(token)).isEqualTo(name);
        }
    }

    @Test
    void refusesWhatItDidNotMake() {
        final String good = SkipToken.encode("contoso-func-spe");
        final String b64 = good.substring(2);
        for (String garbled : new String[] {
            "", "1.", "2." + b64, b64, "1." + b64 + "=", "1." + b64 + "==",
            "1." + b64.substring(0, 4) + "+" + b64.substring(5),
            "1.!!!!", "1.a", "1." + b64.substring(1),
            // Valid base64url of bytes that are not UTF-8.
            "1." + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[] {(byte) 0xff, (byte) 0xfe}),
            // Padding bits that encode would never leave set ("YR" is 'a' with a stray bit).
            "1.YR",
            "1." + "A".repeat(SkipToken.MAX_LENGTH),
        }) {
            assertThatThrownBy(() -> SkipToken.decode(garbled)).as(garbled)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("skipToken");
        }
        assertThat(SkipToken.decode("1." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString("a".getBytes(StandardCharsets.UTF_8)))).isEqualTo("a");
    }
}
