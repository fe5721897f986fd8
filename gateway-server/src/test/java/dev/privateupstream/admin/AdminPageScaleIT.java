package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.Chromium;
import dev.privateupstream.testing.TestGateway;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin page in a real browser in front of 100,000 endpoints (issue 19): it must draw the first page and
 * the counts without ever fetching the whole set, keep the DOM to a page of rows however far one pages, find
 * an endpoint deep in the list by name and by address, filter by status, and approve from the pending queue.
 *
 * <p>Fast is checked by structure, never by the clock (a shared build machine has no stable clock): what the
 * page asked for (the Performance API's resource entries: URLs and bytes) and how many rows it holds. The
 * load time, navigation start to the first rows drawn ({@code performance.mark('rows-rendered')}), is printed
 * for the README, not asserted.
 */
class AdminPageScaleIT {
    private static final int ENDPOINTS = 100_000;
    /** The table's page size (the pending queue shows 5 at a time). */
    private static final int PAGE = 100;
    /** All the tables' rows the page may hold: two pages and the replicas, with room. */
    private static final int MAX_ROWS = 300;
    /** What two pages of endpoints and their traffic weigh, with room; the whole set is about 25 MB of JSON. */
    private static final long MAX_API_BYTES = 1_000_000;

    @TempDir
    static Path dir;
    @TempDir
    static Path profile;

    private static TestGateway gateway;
    private static AdminPageDriver page;
    private static Chromium chromium;
    private static WebDriver browser;
    private static WebDriverWait wait;
    private static int pending;

    @BeforeAll
    static void start() throws Exception {
        page = new AdminPageDriver(profile, Duration.ofSeconds(60));
        chromium = page.chromium();
        browser = page.browser();
        wait = page.await();
        final StringBuilder endpoints = new StringBuilder(ENDPOINTS * 200);
        for (int i = 0; i < ENDPOINTS; i++) {
            endpoints.append(TestGateway.endpoint(name(i), TestGateway.RESOURCE, status(i), address(i)));
            if (status(i).equals("Pending")) {
                pending++;
            }
        }
        // No call reaches the upstream here: nothing listens at its address.
        gateway = TestGateway.start(dir, TestGateway.standardYaml("http://127.0.0.1:9", TestGateway.ADMIN_WITH_ROLES),
                endpoints.toString());
    }

    @AfterAll
    static void stop() throws Exception {
        if (page != null) {
            page.closeWith(gateway);
        }
    }

    private static String name(int i) {
        return String.format("spe-%06d", i);
    }

    /** Mostly approved, one in ten rejected, one in a thousand timed out, and a few hundred pending. */
    private static String status(int i) {
        return i % 300 == 17 ? "Pending" : i % 10 == 3 ? "Rejected" : i % 1000 == 999 ? "Timeout" : "Approved";
    }

    /** A distinct address each, in 10.0.0.0/8. */
    private static String address(int i) {
        return "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255);
    }

    private static List<String> names(String tbody) {
        return page.names(tbody);
    }

    private static By count(String status) {
        return By.cssSelector("#status-filter button[data-status='" + status + "'] .count");
    }

    @Test
    void theFirstPageComesFastAndEverythingStaysBounded() throws Exception {
        final String url = "http://127.0.0.1:" + gateway.adminPort() + "/";
        browser.get(url);
        chromium.script("sessionStorage.setItem('gateway-admin-token', arguments[0])", TestGateway.ADMIN_TOKEN);
        // Loaded again with the token in place, so navigation start to the first rows is the page's own work.
        browser.get(url);
        wait.until(d -> names("rows").size() == PAGE);
        wait.until(ExpectedConditions.attributeToBe(count(""), "data-count", Integer.toString(ENDPOINTS)));
        wait.until(ExpectedConditions.attributeToBe(count("Pending"), "data-count", Integer.toString(pending)));
        final double rendered = ((Number) chromium.script(
                "return performance.getEntriesByName('rows-rendered')[0].startTime")).doubleValue();
        System.out.printf("AdminPageScaleIT: %,d endpoints, navigation start to the first %d rows drawn: %.0f ms%n",
                ENDPOINTS, PAGE, rendered);
        assertThat(names("rows")).startsWith(name(0), name(1)).hasSize(PAGE);
        assertThat(names("pending-rows")).startsWith(name(17), name(317)).hasSize(5);
        assertThat(page.rowsInDom()).isLessThanOrEqualTo(MAX_ROWS);
        checkRequests();

        // Paging on keeps one page in the DOM.
        for (int i = 1; i <= 3; i++) {
            chromium.click(By.id("next-page"));
            final String first = name(i * PAGE);
            wait.until(d -> !names("rows").isEmpty() && names("rows").get(0).equals(first));
            assertThat(names("rows")).hasSize(PAGE);
            assertThat(page.rowsInDom()).isLessThanOrEqualTo(MAX_ROWS);
        }
        assertThat(browser.findElement(By.id("range")).getText()).contains("301", "400", "100,000");
        chromium.click(By.id("prev-page"));
        wait.until(d -> names("rows").get(0).equals(name(200)));
        chromium.click(By.id("first-page"));
        wait.until(d -> names("rows").get(0).equals(name(0)));

        // Deep in the list, by name and by address.
        page.search(name(87_654));
        page.awaitNames("rows", List.of(name(87_654)));
        page.search(address(99_998));
        page.awaitNames("rows", List.of(name(99_998)));
        page.search("");
        wait.until(d -> names("rows").size() == PAGE && names("rows").get(0).equals(name(0)));

        page.filterBy("Pending");
        wait.until(d -> names("rows").size() == PAGE && names("rows").get(0).equals(name(17)));
        assertThat(page.statuses()).containsOnly("Pending");
        page.filterBy("");
        wait.until(d -> names("rows").size() == PAGE && names("rows").get(0).equals(name(0)));

        // Approve the first of the queue; the next one moves up, the count goes down.
        final String first = name(17);
        chromium.click(By.cssSelector("#pending-rows tr[data-name='" + first + "'] [data-action=approve]"));
        wait.until(d -> !names("pending-rows").contains(first));
        wait.until(ExpectedConditions.attributeToBe(count("Pending"), "data-count", Integer.toString(pending - 1)));
        page.awaitNames("pending-rows", IntStream.rangeClosed(1, 5).mapToObj(k -> name(17 + 300 * k)).toList());
        assertThat(new AdminClient(gateway.adminPort()).get("/api/shared-private-endpoints/" + first).json()
                .path("properties").path("status").asText()).isEqualTo("Approved");
        assertThat(page.rowsInDom()).isLessThanOrEqualTo(MAX_ROWS);
        chromium.script("window.scrollTo(0, 0)");
        chromium.screenshot("admin-page-100k.png");
    }

    /**
     * What the page asked the API for on its way to the first rows: pages of at most 100 endpoints, traffic
     * for named endpoints only, and in all a small fraction of the set's weight.
     */
    @SuppressWarnings("unchecked")
    private static void checkRequests() {
        final List<Map<String, Object>> entries = (List<Map<String, Object>>) chromium.script(
                "return performance.getEntriesByType('resource')"
                        + ".map(e => ({url: e.name, bytes: e.transferSize}))");
        long bytes = 0;
        int lists = 0;
        for (Map<String, Object> entry : entries) {
            final URI uri = URI.create((String) entry.get("url"));
            if (!uri.getPath().startsWith("/api/")) {
                continue;
            }
            bytes += ((Number) entry.get("bytes")).longValue();
            final String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
            switch (uri.getPath()) {
                case "/api/shared-private-endpoints" -> {
                    lists++;
                    assertThat(query).as(uri.toString()).containsPattern("(^|&)top=(\\d{1,2}|100)(&|$)");
                }
                case "/api/shared-private-endpoints-traffic" ->
                    assertThat(query).as(uri.toString()).startsWith("name=");
                default -> {
                    // The summary, the replicas and the event stream: a few bytes each.
                }
            }
        }
        System.out.printf("AdminPageScaleIT: %d API requests, %d of them pages of endpoints, %,d bytes%n",
                entries.stream().filter(e -> ((String) e.get("url")).contains("/api/")).count(), lists, bytes);
        assertThat(lists).as("pages of endpoints asked for: the table's and the pending queue's").isBetween(2, 4);
        assertThat(bytes).as("bytes the API answered").isPositive().isLessThan(MAX_API_BYTES);
    }
}
