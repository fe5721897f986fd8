package dev.privateupstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.metrics.PooledConnectionClose;
import dev.privateupstream.testing.Await;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.FreePorts;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.PrometheusServer;
import dev.privateupstream.testing.TestCertificates;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/grafana/gateway-dashboard.json and the recording rules of deploy/prometheus/gateway-rules.yaml against
 * a real Prometheus scraping a real gateway every second: after allowed, refused and failing traffic, every
 * panel's query (its template variables substituted as Grafana would, with every value selected) and every
 * recording rule's expression answers {@code success} with data; every rule loads and evaluates without error;
 * every query variable finds values.
 *
 * <p>Alert expressions are run too, but only for their syntax: under this traffic nothing is wrong enough for
 * them to hold (their firing is gateway-rules-test.yaml's business, see {@link PrometheusRulesTest}).
 */
class GatewayDashboardIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TLS_RESOURCE = TestGateway.RESOURCE.replace("/func-a", "/func-tls");
    /** What Grafana puts for each variable with "All" selected, and for its interval macros at a 1 s scrape. */
    private static final Map<String, String> VARIABLES = Map.of("job", ".*", "instance", ".*", "upstream", ".*",
            "__rate_interval", "5s", "__interval", "1s", "__range", "1m");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?(\\w+)}?");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+), *(\\w+)\\)");

    @TempDir
    static Path certificates;

    private static Path caFile;

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(() -> TestGateway.gatewayYaml(upstreams(), ""),
            () -> TestGateway.STANDARD_ENDPOINTS);
    @RegisterExtension
    final PrometheusServer prometheus = new PrometheusServer();

    @BeforeAll
    static void makeCertificates() throws Exception {
        caFile = TestCertificates.create(certificates, "backend-ca").caCertificate();
    }

    /**
     * {@code func-a}: the backend, its pooled connections closed after 1 s idle; {@code func-b} (Host
     * func-b.example): nothing listens, every call gets 502; {@code func-tls}: https with a CA file, never
     * called, for the certificate panel.
     */
    private String upstreams() {
        // func-a, which takes any Host, comes last: routes are tried in order.
        return TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, "http://127.0.0.1:" + FreePorts.next(),
                        "    hosts: [ func-b.example ]\n")
                + TestGateway.upstream("func-tls", TLS_RESOURCE, "https://localhost:1",
                        "    hosts: [ tls.example ]\n    caFile: " + caFile + "\n")
                + TestGateway.upstream("func-a", TestGateway.RESOURCE, backend.url(), "    idleTimeout: 1s\n");
    }

    @Test
    void everyPanelQueryAndRecordingRuleAnswersWithData() throws Exception {
        final Path rules = PrometheusRulesTest.prometheusDirectory().resolve(PrometheusRulesTest.RULES);
        prometheus.start("127.0.0.1:" + gateway.adminPort(), List.of(rules));

        // Two waves with scrapes between them, so that counters first seen in the first wave have grown
        // since Prometheus first saw them and their rates are above 0.
        sendTraffic();
        awaitScrapesAfter(Instant.now());
        sendTraffic();
        Await.until("func-a's pool closes an idle connection", Duration.ofSeconds(10),
                () -> gateway.server().metrics().upstreamConnectionsClosed("func-a", PooledConnectionClose.IDLE) > 0);
        awaitScrapesAfter(Instant.now());

        final List<String> failures = new ArrayList<>();
        final JsonNode dashboard = JSON.readTree(
                Files.readString(Manifests.deployDirectory().resolve("grafana/gateway-dashboard.json")));
        int queries = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            if ("row".equals(panel.path("type").asText())) {
                continue;
            }
            final String title = panel.path("title").asText();
            checkDataSource(panel, title, failures);
            if (panel.path("targets").isEmpty()) {
                failures.add(title + ": no query");
            }
            for (JsonNode target : panel.path("targets")) {
                checkDataSource(target, title + " " + target.path("refId").asText(), failures);
                checkHasData(title, substitute(target.path("expr").asText()), failures);
                queries++;
            }
        }
        for (Map<String, Object> rule : PrometheusRulesTest.rules()) {
            final String expr = (String) rule.get("expr");
            if (rule.containsKey("record")) {
                checkHasData("recording rule " + rule.get("record"), expr, failures);
            } else {
                checkSucceeds("alert " + rule.get("alert"), prometheus.query(expr), failures);
            }
        }
        for (JsonNode rule : allLoadedRules()) {
            if (!"ok".equals(rule.path("health").asText())) {
                failures.add("rule " + rule.path("name").asText() + " is " + rule.path("health").asText() + ": "
                        + rule.path("lastError").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                checkVariableHasValues(variable, failures);
            }
        }
        assertThat(queries).as("panel queries").isGreaterThanOrEqualTo(20);
        assertThat(failures).as("queries against Prometheus; its log:\n" + prometheus.log()).isEmpty();
    }

    /** Allowed (func-a), refused (public-network, endpoint-pending) and failing (func-b, 502) calls. */
    private void sendTraffic() throws IOException {
        final String post = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
        for (int i = 0; i < 5; i++) {
            assertThat(gateway.caller("127.0.0.10").send(post).read().status()).isEqualTo(200);
        }
        assertThat(gateway.caller("127.0.0.1").send(post).read().status()).isEqualTo(403);
        assertThat(gateway.caller("127.0.0.20").send(post).read().status()).isEqualTo(403);
        assertThat(gateway.caller("127.0.0.60")
                .send("POST /x HTTP/1.1\r\nHost: func-b.example\r\nContent-Length: 2\r\n\r\nhi").read().status())
                .isEqualTo(502);
    }

    /**
     * Returns once Prometheus has scraped the gateway twice after {@code after} and evaluated every rule group
     * since, so what was counted before {@code after} is in the series and in the recorded ones.
     */
    private void awaitScrapesAfter(Instant after) {
        final double notBefore = after.toEpochMilli() / 1000.0 + 2;
        Await.until("two scrapes and a rule evaluation after " + after, Duration.ofSeconds(20), () -> {
            try {
                final JsonNode scraped = prometheus.query("timestamp(up{job=\"" + PrometheusServer.JOB + "\"} == 1)")
                        .path("data").path("result");
                if (scraped.isEmpty() || scraped.get(0).path("value").get(0).asDouble() < notBefore) {
                    return false;
                }
                for (JsonNode group : prometheus.api("/api/v1/rules").path("data").path("groups")) {
                    if (Instant.parse(group.path("lastEvaluation").asText()).toEpochMilli() / 1000.0 < notBefore) {
                        return false;
                    }
                }
                return true;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    /** {@code promql} with every {@code $name} and {@code ${name}} Grafana would replace replaced. */
    static String substitute(String promql) {
        final Matcher variable = VARIABLE.matcher(promql);
        final StringBuilder out = new StringBuilder();
        while (variable.find()) {
            final String value = VARIABLES.get(variable.group(1));
            if (value == null) {
                throw new AssertionError("unknown variable " + variable.group() + " in " + promql);
            }
            variable.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        return variable.appendTail(out).toString();
    }

    private static void checkDataSource(JsonNode node, String what, List<String> failures) {
        if (!"${DS_PROMETHEUS}".equals(node.path("datasource").path("uid").asText())) {
            failures.add(what + ": data source " + node.path("datasource") + " (expected: uid ${DS_PROMETHEUS})");
        }
    }

    private void checkHasData(String what, String promql, List<String> failures)
            throws IOException, InterruptedException {
        final JsonNode answer = prometheus.query(promql);
        if (checkSucceeds(what, answer, failures) && answer.path("data").path("result").isEmpty()) {
            failures.add(what + ": no data for " + promql);
        }
    }

    private static boolean checkSucceeds(String what, JsonNode answer, List<String> failures) {
        if ("success".equals(answer.path("status").asText())) {
            return true;
        }
        failures.add(what + ": " + answer.path("errorType").asText() + ": " + answer.path("error").asText());
        return false;
    }

    /** A {@code label_values(selector, label)} variable: Prometheus has series of the selector with the label. */
    private void checkVariableHasValues(JsonNode variable, List<String> failures)
            throws IOException, InterruptedException {
        final String name = variable.path("name").asText();
        final Matcher query = LABEL_VALUES.matcher(variable.path("query").path("query").asText());
        if (!query.matches()) {
            failures.add("variable " + name + ": not label_values(selector, label): " + variable.path("query"));
            return;
        }
        final JsonNode values = prometheus.api("/api/v1/label/" + query.group(2) + "/values?match[]="
                + URLEncoder.encode(substitute(query.group(1)), StandardCharsets.UTF_8));
        if (checkSucceeds("variable " + name, values, failures) && values.path("data").isEmpty()) {
            failures.add("variable " + name + ": no values for " + query.group());
        }
    }

    private List<JsonNode> allLoadedRules() throws IOException, InterruptedException {
        final List<JsonNode> loaded = new ArrayList<>();
        for (JsonNode group : prometheus.api("/api/v1/rules").path("data").path("groups")) {
            group.path("rules").forEach(loaded::add);
        }
        assertThat(loaded).as("rules Prometheus loaded").isNotEmpty();
        return loaded;
    }
}
