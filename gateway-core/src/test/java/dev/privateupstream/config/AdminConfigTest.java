package dev.privateupstream.config;

import static dev.privateupstream.config.ConfigFiles.MINIMAL;
import static dev.privateupstream.config.ConfigFiles.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.AdminToken.Role;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code admin.token} and {@code admin.tokens} (SPEC §12): read, and refused with located errors. */
class AdminConfigTest {
    @TempDir
    Path folder;
    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(folder).endpoints("[]\n");
    }

    @Test
    void readsTokensBesideAdminTokenWhichIsTheApproverAdmin() throws Exception {
        final GatewayConfig config = files.environment(Map.of("ALICE_TOKEN", "a-secret"))
                .gateway("""
                        admin:
                          token: root-secret
                          tokens:
                            - { name: alice, token: "${ALICE_TOKEN}", role: approver }
                            - name: grafana
                              token: ro-secret
                              role: reader
                        """ + MINIMAL).load();

        assertThat(config.admin().tokens()).containsExactly(new AdminToken("alice", "a-secret", Role.APPROVER),
                new AdminToken("grafana", "ro-secret", Role.READER));
        assertThat(config.admin().accepted()).containsExactly(
                new AdminToken("admin", "root-secret", Role.APPROVER),
                new AdminToken("alice", "a-secret", Role.APPROVER),
                new AdminToken("grafana", "ro-secret", Role.READER));
        assertThat(config.admin().toString()).doesNotContain("secret");
    }

    @Test
    void tokensAloneNeedNoAdminToken() throws Exception {
        final GatewayConfig config = files.gateway("""
                admin:
                  tokens: [ { name: grafana, token: ro, role: reader } ]
                """ + MINIMAL).load();

        assertThat(config.admin().token()).isNull();
        assertThat(config.admin().accepted()).containsExactly(new AdminToken("grafana", "ro", Role.READER));
    }

    @Test
    void reportsEveryBadEntryWhereItIs() {
        final ConfigException e = files.gateway("""
                admin:
                  token: root
                  tokens:
                    - { name: alice, token: a, role: approver }
                    - { name: alice, token: b, role: reader }
                    - { name: admin, token: c, role: reader }
                    - { token: d, role: reader }
                    - { name: bob, token: "", role: owner }
                    - { name: carol, role: reader, scope: all }
                    - just-a-string
                """ + MINIMAL).loadFails();

        assertError(e, files.gateway, 5, "admin.tokens[1].name", "'alice' is already the name of another token "
                + "(admin.tokens[0].name, line 4)");
        assertError(e, files.gateway, 6, "admin.tokens[2].name", "'admin' is already the name of admin.token");
        assertError(e, files.gateway, 7, "admin.tokens[3].name", "missing (expected: the name");
        assertError(e, files.gateway, 8, "admin.tokens[4].token", "(expected: the bearer secret, not empty)");
        assertError(e, files.gateway, 8, "admin.tokens[4].role", "'owner' (expected: reader or approver)");
        assertError(e, files.gateway, 9, "admin.tokens[5].scope", "unknown key (expected one of: name, token, role)");
        assertError(e, files.gateway, 9, "admin.tokens[5].token", "missing (expected: the bearer secret");
        assertError(e, files.gateway, 10, "admin.tokens[6]", "expected a mapping");
        assertThat(e.errors()).hasSize(8);
    }

    @Test
    void refusesTokensThatAreNotAList() {
        final ConfigException e = files.gateway("""
                admin:
                  tokens: { name: alice }
                """ + MINIMAL).loadFails();

        assertError(e, files.gateway, 2, "admin.tokens", "expected a list");
    }
}
