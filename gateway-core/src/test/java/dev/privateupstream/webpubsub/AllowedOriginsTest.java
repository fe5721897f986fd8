package dev.privateupstream.webpubsub;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The abuse-protection origin check (SPEC §13): values trimmed, compared whole and case-insensitively. */
class AllowedOriginsTest {
    private final AllowedOrigins origins = new AllowedOrigins(List.of("contoso.webpubsub.azure.com"));

    @Test
    void matchesOneOfTheValuesAsSent() {
        assertThat(origins.match("contoso.webpubsub.azure.com")).isEqualTo("contoso.webpubsub.azure.com");
        assertThat(origins.match("Contoso.WebPubSub.Azure.com")).isEqualTo("Contoso.WebPubSub.Azure.com");
        assertThat(origins.match("replica.webpubsub.azure.com, contoso.webpubsub.azure.com"))
                .isEqualTo("contoso.webpubsub.azure.com");
        assertThat(origins.match(" ,contoso.webpubsub.azure.com ,")).isEqualTo("contoso.webpubsub.azure.com");
    }

    @Test
    void refusesPrefixesSuffixesAndNothing() {
        assertThat(origins.match("contoso.webpubsub.azure.com.attacker.example")).isNull();
        assertThat(origins.match("evil-contoso.webpubsub.azure.com")).isNull();
        assertThat(origins.match("contoso.webpubsub.azure")).isNull();
        assertThat(origins.match("*")).isNull();
        assertThat(origins.match("")).isNull();
        assertThat(origins.match(null)).isNull();
        assertThat(new AllowedOrigins(List.of()).isEmpty()).isTrue();
    }
}
