package dev.privateupstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.ExternalProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * deploy/prometheus/gateway-rules.yaml as Prometheus reads it: {@code promtool check rules} accepts it,
 * {@code promtool test rules} passes its unit tests (gateway-rules-test.yaml), and those tests cover every
 * rule: each alert with a case where it fires and one where it does not, each recording rule with an
 * expression test. promtool is Debian's {@code prometheus} package, which {@code .ci/run} installs.
 */
class PrometheusRulesTest {
    static final String RULES = "gateway-rules.yaml";
    static final String RULES_TEST = "gateway-rules-test.yaml";

    static Path prometheusDirectory() {
        return Manifests.deployDirectory().resolve("prometheus");
    }

    private static Path promtool() {
        return ExternalProcess.require("prometheus", List.of("/usr/bin/promtool", "/usr/local/bin/promtool"));
    }

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        final String output = ExternalProcess.check(prometheusDirectory(), promtool().toString(), "check", "rules",
                RULES);
        assertThat(output).contains("SUCCESS");
    }

    @Test
    void promtoolUnitTestsPass() throws Exception {
        final String output = ExternalProcess.check(prometheusDirectory(), promtool().toString(), "test", "rules",
                RULES_TEST);
        assertThat(output).contains("SUCCESS");
    }

    @Test
    void everyAlertFiresInOneCaseAndNotInAnotherAndEveryRecordingRuleIsTested() throws IOException {
        final Set<String> firing = new HashSet<>();
        final Set<String> silent = new HashSet<>();
        final Set<String> expressions = new HashSet<>();
        for (Object test : list(YamlDocuments.asMap(parse(RULES_TEST), RULES_TEST).get("tests"))) {
            final Map<String, Object> group = YamlDocuments.asMap(test, "test");
            for (Object alertTest : list(group.get("alert_rule_test"))) {
                final Map<String, Object> alert = YamlDocuments.asMap(alertTest, "alert_rule_test");
                final boolean fires = !list(alert.get("exp_alerts")).isEmpty();
                (fires ? firing : silent).add((String) alert.get("alertname"));
            }
            for (Object exprTest : list(group.get("promql_expr_test"))) {
                expressions.add((String) YamlDocuments.asMap(exprTest, "promql_expr_test").get("expr"));
            }
        }
        final List<String> alerts = new ArrayList<>();
        final List<String> records = new ArrayList<>();
        for (Map<String, Object> rule : rules()) {
            if (rule.containsKey("alert")) {
                alerts.add((String) rule.get("alert"));
            } else {
                records.add((String) rule.get("record"));
            }
        }
        assertThat(alerts).as("alerts").isNotEmpty();
        assertThat(firing).as("alerts with a case that fires").containsAll(alerts);
        assertThat(silent).as("alerts with a case that does not fire").containsAll(alerts);
        assertThat(expressions).as("recording rules with an expression test").containsAll(records);
    }

    /** Every rule of gateway-rules.yaml, as parsed YAML ({@code record} or {@code alert}, {@code expr}...). */
    static List<Map<String, Object>> rules() throws IOException {
        final List<Map<String, Object>> rules = new ArrayList<>();
        for (Object group : list(YamlDocuments.asMap(parse(RULES), RULES).get("groups"))) {
            for (Object rule : list(YamlDocuments.asMap(group, "group").get("rules"))) {
                rules.add(YamlDocuments.asMap(rule, "rule"));
            }
        }
        return rules;
    }

    private static Object parse(String file) throws IOException {
        return YamlDocuments.parseAll(Files.readString(prometheusDirectory().resolve(file))).get(0);
    }

    private static List<?> list(Object node) {
        return node == null ? List.of() : (List<?>) node;
    }
}
