package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.privateupstream.testing.AdminClient.Answer;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.TestGateway;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The admin API at the page's scale (SPEC §12), over real sockets: paging through thousands of endpoints in name
 * order, a skipToken that survives changes between pages, status filter and search, the summary, and traffic
 * by name with the last decision of real proxied calls.
 */
class EndpointPagingIT {
    private static final String SPE = "/api/shared-private-endpoints";
    /** With the standard six, 2,600: four pages of 650 exactly. */
    private static final int MANY = 2_594;
    private static final int APPROVED = (MANY + 9) / 10;

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(() -> TestGateway.standardYaml(backend.url(), ""),
            EndpointPagingIT::endpoints);

    /** The standard six, then MANY more: every tenth approved, one with a prefix, names out of order. */
    private static String endpoints() {
        final StringBuilder yaml = new StringBuilder(TestGateway.STANDARD_ENDPOINTS);
        for (int i = MANY - 1; i >= 0; i--) {
            final String address = i == 1234 ? "10.200.0.0/28" : "10.50." + (i / 256) + "." + (i % 256);
            yaml.append(TestGateway.endpoint(name(i), TestGateway.RESOURCE, i % 10 == 0 ? "Approved" : "Pending",
                    address));
        }
        return yaml.toString();
    }

    private static String name(int i) {
        return String.format("spe-%05d", i);
    }

    private List<String> allNames() throws Exception {
        final TreeSet<String> names = new TreeSet<>(List.of("approved", "pending", "rejected", "disconnected",
                "timeout", "other-approved"));
        for (int i = 0; i < MANY; i++) {
            names.add(name(i));
        }
        return new ArrayList<>(names);
    }

    /** Every page from {@code first}, following nextLink; each page's names. */
    private List<List<String>> pages(String first) throws Exception {
        final List<List<String>> pages = new ArrayList<>();
        String link = first;
        while (link != null) {
            final Answer answer = gateway.admin().get(link);
            assertThat(answer.status()).as(link).isEqualTo(200);
            pages.add(names(answer.json()));
            link = answer.json().has("nextLink") ? answer.json().get("nextLink").asText() : null;
        }
        return pages;
    }

    private static List<String> names(JsonNode page) {
        final List<String> names = new ArrayList<>();
        page.get("value").forEach(e -> names.add(e.get("name").asText()));
        return names;
    }

    private static List<String> flat(List<List<String>> pages) {
        return pages.stream().flatMap(List::stream).toList();
    }

    @Test
    void pagingGetsEveryEndpointExactlyOnceInNameOrder() throws Exception {
        final List<String> all = allNames();
        for (int top : new int[] {1000, 7}) {
            final List<List<String>> pages = pages(SPE + "?top=" + top);
            assertThat(flat(pages)).as("top=" + top).isEqualTo(all);
            assertThat(pages).as("top=" + top).hasSize((all.size() + top - 1) / top);
            pages.subList(0, pages.size() - 1).forEach(page -> assertThat(page).hasSize(top));
        }
        // Without parameters: the first 1000 and a nextLink carrying the default size.
        final JsonNode first = gateway.admin().get(SPE).json();
        assertThat(first.get("value")).hasSize(1000);
        assertThat(first.get("nextLink").asText()).startsWith(SPE + "?top=1000&skipToken=");
        // Exactly a page's worth: no nextLink on the last page even when it is full.
        final List<List<String>> exact = pages(SPE + "?top=650");
        assertThat(exact).hasSize(4);
        assertThat(flat(exact)).isEqualTo(all);
    }

    @Test
    void aSkipTokenStaysValidWhileEndpointsAreAddedAndDeletedBetweenPages() throws Exception {
        final JsonNode first = gateway.admin().get(SPE + "?top=1000").json();
        final List<String> firstNames = names(first);
        final String cursor = firstNames.get(firstNames.size() - 1);
        // Before the cursor: one deleted, one added (neither may show up again); after it: the same.
        assertThat(gateway.admin().delete(SPE + "/" + firstNames.get(10)).status()).isEqualTo(204);
        assertThat(gateway.admin().put(SPE + "/aaa-added-before", body("10.70.0.1")).status()).isEqualTo(201);
        assertThat(gateway.admin().delete(SPE + "/" + name(MANY - 1)).status()).isEqualTo(204);
        assertThat(gateway.admin().put(SPE + "/zzz-added-after", body("10.70.0.2")).status()).isEqualTo(201);
        // Even the very endpoint the token names may go.
        assertThat(gateway.admin().delete(SPE + "/" + cursor).status()).isEqualTo(204);

        final List<String> rest = flat(pages(first.get("nextLink").asText()));
        final List<String> expected = new ArrayList<>(allNames().subList(1000, allNames().size()));
        expected.remove(name(MANY - 1));
        expected.add("zzz-added-after");
        assertThat(rest).isEqualTo(expected);
        assertThat(new HashSet<>(rest)).doesNotContainAnyElementsOf(firstNames);
    }

    @Test
    void filtersByStatusInAnyLetterCaseAndSearchesByNameOrAddress() throws Exception {
        final Set<String> approved = new TreeSet<>(List.of("approved", "other-approved"));
        for (int i = 0; i < MANY; i += 10) {
            approved.add(name(i));
        }
        for (String status : new String[] {"approved", "APPROVED", "Approved"}) {
            final List<List<String>> pages = pages(SPE + "?status=" + status + "&top=100");
            assertThat(flat(pages)).as(status).containsExactlyElementsOf(approved);
            assertThat(pages).hasSize(3);
        }
        final JsonNode firstPage = gateway.admin().get(SPE + "?status=pending&top=5").json();
        assertThat(firstPage.get("nextLink").asText()).contains("top=5").contains("status=Pending");
        assertThat(gateway.admin().get(SPE + "?status=Rejected").json().get("value"))
                .extracting(e -> e.get("name").asText()).containsExactly("rejected");

        // By name: a substring, any letter case; carried by nextLink.
        assertThat(flat(pages(SPE + "?search=" + "SPE-0012" + "&top=4"))).containsExactly(name(120), name(121),
                name(122), name(123), name(124), name(125), name(126), name(127), name(128), name(129));
        assertThat(gateway.admin().get(SPE + "?search=spe-0012&top=4").json().get("nextLink").asText())
                .contains("search=spe-0012");
        // By address: one an endpoint declares, and one inside a declared prefix.
        assertThat(flat(pages(SPE + "?search=10.50.1.3"))).containsExactly(name(259));
        assertThat(flat(pages(SPE + "?search=10.200.0.9"))).containsExactly(name(1234));
        assertThat(flat(pages(SPE + "?search=10.200.0.16"))).isEmpty();
        // Both filters at once, with a space in the search kept through nextLink.
        assertThat(flat(pages(SPE + "?search=spe-0001&status=pending&top=3"))).containsExactly(name(11), name(12),
                name(13), name(14), name(15), name(16), name(17), name(18), name(19));
        assertThat(flat(pages(SPE + "?search=" + URLEncoder.encode("no such", StandardCharsets.UTF_8)))).isEmpty();
        // Empty: no filter.
        assertThat(gateway.admin().get(SPE + "?search=&status=&top=3").json().get("value")).hasSize(3);
    }

    @Test
    void refusesQueryParametersOutOfTheirLimitsNamingTheField() throws Exception {
        assertBadRequest(SPE + "?top=0", "top");
        assertBadRequest(SPE + "?top=1001", "top");
        assertBadRequest(SPE + "?top=ten", "top");
        assertBadRequest(SPE + "?top=", "top");
        assertBadRequest(SPE + "?top=5&top=6", "top");
        assertBadRequest(SPE + "?skipToken=garbled", "skipToken");
        assertBadRequest(SPE + "?skipToken=1.%2F%2F%2F", "skipToken");
        assertBadRequest(SPE + "?status=approvedish", "status");
        assertBadRequest(SPE + "?search=" + "x".repeat(257), "search");
        final StringBuilder names = new StringBuilder("/api/shared-private-endpoints-traffic?name=a");
        for (int i = 0; i < 1000; i++) {
            names.append("&name=n").append(i);
        }
        assertBadRequest(names.toString(), "name");
        // A page's worth of long names fits in one request line.
        final StringBuilder longNames = new StringBuilder("/api/shared-private-endpoints-traffic?name=approved");
        for (int i = 1; i < 1000; i++) {
            longNames.append("&name=").append(String.format("%080d", i));
        }
        final Answer page = gateway.admin().get(longNames.toString());
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.json().get("value")).hasSize(1000);
        assertThat(gateway.admin().get(SPE + "?search=" + "x".repeat(256)).status()).isEqualTo(200);
        assertThat(gateway.admin().get(SPE + "?top=1&top=1&colour=blue").status()).isEqualTo(400);
        assertThat(gateway.admin().get(SPE + "?top=1000&colour=blue").status()).isEqualTo(200);
    }

    @Test
    void theSummaryCountsEveryStatus() throws Exception {
        final JsonNode summary = gateway.admin().get(SPE + "-summary").json();
        assertThat(summary.get("total").asInt()).isEqualTo(MANY + 6);
        final JsonNode byStatus = summary.get("byStatus");
        assertThat(byStatus.get("Approved").asInt()).isEqualTo(APPROVED + 2);
        assertThat(byStatus.get("Pending").asInt()).isEqualTo(MANY - APPROVED + 1);
        assertThat(byStatus.get("Rejected").asInt()).isEqualTo(1);
        assertThat(byStatus.get("Disconnected").asInt()).isEqualTo(1);
        assertThat(byStatus.get("Timeout").asInt()).isEqualTo(1);
        assertThat(gateway.admin().post(SPE + "/pending/approve", null).status()).isEqualTo(200);
        final JsonNode after = gateway.admin().get(SPE + "-summary").json();
        assertThat(after.get("byStatus").get("Pending").asInt()).isEqualTo(MANY - APPROVED);
        assertThat(after.get("byStatus").get("Approved").asInt()).isEqualTo(APPROVED + 3);
    }

    @Test
    void trafficByNameCarriesTheLastDecisionOfRealCalls() throws Exception {
        final String calls = "/api/shared-private-endpoints-traffic?name=approved&name=pending&name=nobody"
                + "&name=rejected&name=approved";
        JsonNode before = gateway.admin().get(calls).json();
        assertThat(before.get("value")).extracting(e -> e.get("name").asText())
                .containsExactly("approved", "pending", "nobody", "rejected");
        before.get("value").forEach(e -> assertThat(e.has("lastDecision")).isFalse());

        assertThat(call("127.0.0.10")).isEqualTo(200);
        assertThat(call("127.0.0.20")).isEqualTo(403);
        // An exchange is counted once its answer is written, a moment after the client has read it.
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        JsonNode traffic;
        do {
            traffic = gateway.admin().get(calls).json();
        } while ((!traffic.get("value").get(0).has("lastDecision") || !traffic.get("value").get(1).has("lastDecision"))
                && System.nanoTime() < deadline);
        final JsonNode allowed = traffic.get("value").get(0);
        assertThat(allowed.get("allowed").asLong()).isEqualTo(1);
        assertThat(allowed.get("lastDecision").get("allowed").asBoolean()).isTrue();
        assertThat(allowed.get("lastDecision").has("reason")).isFalse();
        assertThat(allowed.get("lastDecision").get("time").asText()).isNotBlank();
        final JsonNode denied = traffic.get("value").get(1);
        assertThat(denied.get("denied").asLong()).isEqualTo(1);
        assertThat(denied.get("lastDecision").get("allowed").asBoolean()).isFalse();
        assertThat(denied.get("lastDecision").get("reason").asText()).isEqualTo("endpoint-pending");
        final JsonNode nobody = traffic.get("value").get(2);
        assertThat(nobody.get("allowed").asLong()).isZero();
        assertThat(nobody.has("lastDecision")).isFalse();
        // Without names: every endpoint in force.
        assertThat(gateway.admin().get("/api/shared-private-endpoints-traffic").json().get("value"))
                .hasSize(MANY + 6);
    }

    private int call(String source) throws Exception {
        return gateway.caller(source)
                .send("POST /api/chat HTTP/1.1\r\nHost: func-a.example\r\nContent-Length: 2\r\n\r\nhi").read().status();
    }

    private static String body(String address) {
        return "{\"properties\":{\"groupId\":\"sites\",\"privateLinkResourceId\":\"" + TestGateway.RESOURCE
                + "\",\"privateIps\":[\"" + address + "\"]}}";
    }

    private void assertBadRequest(String path, String field) throws Exception {
        final Answer answer = gateway.admin().get(path);
        assertThat(answer.status()).as(path).isEqualTo(400);
        assertThat(answer.json().get("field").asText()).as(path).isEqualTo(field);
        assertThat(answer.json().get("message").asText()).isNotBlank();
    }
}
