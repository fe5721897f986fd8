package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.admin.BearerToken.Match;
import dev.privateupstream.admin.BearerToken.Verdict;
import dev.privateupstream.config.AdminToken;
import dev.privateupstream.config.AdminToken.Role;
import java.util.List;
import org.junit.jupiter.api.Test;

class BearerTokenTest {

    @Test
    void acceptsTheConfiguredTokenWithAnyCaseOfTheScheme() {
        assertThat(BearerToken.check("s3cret", "Bearer s3cret")).isEqualTo(Verdict.ACCEPTED);
        assertThat(BearerToken.check("s3cret", "bearer s3cret")).isEqualTo(Verdict.ACCEPTED);
        assertThat(BearerToken.check("s3cret", "  BEARER   s3cret  ")).isEqualTo(Verdict.ACCEPTED);
        assertThat(BearerToken.check("jeton-été", "Bearer jeton-été")).isEqualTo(Verdict.ACCEPTED);
    }

    @Test
    void rejectsAnotherToken() {
        assertThat(BearerToken.check("s3cret", "Bearer s3cret2")).isEqualTo(Verdict.REJECTED);
        assertThat(BearerToken.check("s3cret", "Bearer S3CRET")).isEqualTo(Verdict.REJECTED);
        assertThat(BearerToken.check("s3cret", "Bearer s3cre")).isEqualTo(Verdict.REJECTED);
        assertThat(BearerToken.check("s3cret", "Bearer ")).isEqualTo(Verdict.MISSING);
    }

    @Test
    void tellsAMissingTokenFromAWrongOne() {
        assertThat(BearerToken.check("s3cret", null)).isEqualTo(Verdict.MISSING);
        assertThat(BearerToken.check("s3cret", "")).isEqualTo(Verdict.MISSING);
        assertThat(BearerToken.check("s3cret", "Basic czNjcmV0")).isEqualTo(Verdict.MISSING);
        assertThat(BearerToken.check("s3cret", "s3cret")).isEqualTo(Verdict.MISSING);
    }

    @Test
    void refusesEverythingWhenNoTokenIsConfigured() {
        assertThat(BearerToken.check(null, "Bearer anything")).isEqualTo(Verdict.NOT_CONFIGURED);
        assertThat(BearerToken.check("", "Bearer ")).isEqualTo(Verdict.NOT_CONFIGURED);
        assertThat(BearerToken.check(null, null)).isEqualTo(Verdict.NOT_CONFIGURED);
    }

    @Test
    void eachRefusalHasAReasonForThePage() {
        assertThat(Verdict.MISSING.reason()).isEqualTo("token-missing");
        assertThat(Verdict.REJECTED.reason()).isEqualTo("token-rejected");
        assertThat(Verdict.NOT_CONFIGURED.reason()).isEqualTo("token-not-configured");
        assertThat(Verdict.NOT_CONFIGURED.message()).contains("admin.token");
    }

    @Test
    void matchesTheTokenPresentedAmongSeveral() {
        final AdminToken admin = new AdminToken("admin", "root", Role.APPROVER);
        final AdminToken grafana = new AdminToken("grafana", "read-only", Role.READER);
        final List<AdminToken> tokens = List.of(admin, grafana);

        assertThat(BearerToken.match(tokens, "Bearer read-only")).isEqualTo(new Match(Verdict.ACCEPTED, grafana));
        assertThat(BearerToken.match(tokens, "Bearer root")).isEqualTo(new Match(Verdict.ACCEPTED, admin));
        assertThat(BearerToken.match(tokens, "Bearer read-only2")).isEqualTo(new Match(Verdict.REJECTED, null));
        assertThat(BearerToken.match(tokens, null)).isEqualTo(new Match(Verdict.MISSING, null));
        assertThat(BearerToken.match(List.of(), "Bearer root")).isEqualTo(new Match(Verdict.NOT_CONFIGURED, null));
    }
}
