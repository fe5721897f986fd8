package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.AdminClient;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin page in a real browser (Debian's chromium driven through chromedriver): the workflow the product
 * comes from, clicked through. The token is refused, then accepted; Approve on a {@code Pending} endpoint
 * lets its calls through the proxy; the add form creates an endpoint and names a bad field; the status filter
 * and the search (by name, by address) narrow the table; the pending queue and an endpoint's audit history;
 * changes made by another API client and in the endpoints file appear without a reload (SPEC §12); a reader
 * is told its token may only read. A screenshot at 1366x768 is left in the build folder for a reviewer:
 * {@code admin-page.png}. Every test ends with no error in the browser's console.
 */
class AdminPageIT {
    private static final String REQUEST = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
    private static final List<String> ALL = List.of("approved", "disconnected", "other-approved", "pending",
            "rejected", "timeout");

    @TempDir
    Path dir;
    @TempDir
    Path profile;

    private RecordingBackend backend;
    private TestGateway gateway;
    private AdminPageDriver page;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void start() throws Exception {
        page = new AdminPageDriver(profile, Duration.ofSeconds(15));
        browser = page.browser();
        wait = page.await();
        backend = RecordingBackend.start();
        // admin.token (an approver, "admin") plus an approver and a reader token (SPEC §12).
        gateway = TestGateway.standard(dir, backend, TestGateway.ADMIN_WITH_ROLES);
    }

    @AfterEach
    void stop() throws Exception {
        // The page's close fails the test on errors in the browser's console, once everything is closed.
        if (page != null) {
            page.closeWith(gateway, backend);
        }
    }

    private int call(String source) throws IOException {
        try (RawClient client = new RawClient(source, gateway.port())) {
            return client.send(REQUEST).read().status();
        }
    }

    /** A row of the main table. */
    private static By row(String name) {
        return By.cssSelector("#rows tr[data-name='" + name + "']");
    }

    private static By cell(String name, String css) {
        return By.cssSelector("#rows tr[data-name='" + name + "'] " + css);
    }

    private static By pendingCell(String name, String css) {
        return By.cssSelector("#pending-rows tr[data-name='" + name + "'] " + css);
    }

    private void open(String token) {
        browser.get("http://127.0.0.1:" + gateway.adminPort() + "/");
        useToken(token);
        page.awaitNames("rows", ALL);
    }

    private void useToken(String token) {
        final WebElement field = browser.findElement(By.id("token"));
        field.clear();
        field.sendKeys(token);
        browser.findElement(By.cssSelector("#token-form button[type=submit]")).click();
    }

    @Test
    void approvingAPendingEndpointLetsItsCallsThrough() throws Exception {
        assertThat(call("127.0.0.20")).isEqualTo(403);
        browser.get("http://127.0.0.1:" + gateway.adminPort() + "/");

        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("banner")));
        assertThat(browser.findElement(By.id("banner-title")).getText()).isEqualTo("Token missing.");
        assertThat(browser.findElements(By.cssSelector("#rows tr"))).isEmpty();

        useToken("not-the-token");
        wait.until(ExpectedConditions.textToBe(By.id("banner-title"), "Token rejected."));

        useToken(TestGateway.ADMIN_TOKEN);
        wait.until(ExpectedConditions.visibilityOfElementLocated(row("pending")));
        assertThat(browser.findElement(By.id("banner")).isDisplayed()).isFalse();
        assertThat(browser.findElements(By.cssSelector("#rows tr"))).hasSize(6);
        assertThat(browser.findElement(cell("pending", ".status")).getText()).isEqualTo("Pending");
        assertThat(browser.findElement(cell("pending", ".ips")).getText()).isEqualTo("127.0.0.20");
        // Traffic comes with a call of its own, after the rows.
        wait.until(ExpectedConditions.textToBe(cell("pending", "td.denied"), "1"));
        wait.until(ExpectedConditions.attributeToBe(cell("pending", "td.decision"), "data-decision", "denied"));
        assertThat(browser.findElement(cell("pending", "td.decision")).getText()).contains("endpoint-pending");
        assertThat(browser.findElement(cell("approved", "td.decision")).getText()).isEqualTo("no call yet");
        assertThat(browser.findElement(cell("approved", "[data-action=approve]")).isEnabled()).isFalse();
        assertThat(browser.findElement(cell("approved", "[data-action=reject]")).isEnabled()).isTrue();

        page.click(cell("pending", "[data-action=approve]"));
        wait.until(ExpectedConditions.textToBe(cell("pending", ".status"), "Approved"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("toast"), "Approved pending"));
        assertThat(browser.findElement(cell("pending", "[data-action=approve]")).isEnabled()).isFalse();

        assertThat(call("127.0.0.20")).isEqualTo(200);
        assertThat(backend.received()).hasSize(1);
        assertThat(backend.received().get(0).headers("X-Forwarded-For")).containsExactly("127.0.0.20");
        page.click(By.id("refresh"));
        wait.until(ExpectedConditions.textToBe(cell("pending", "td.allowed"), "1"));
        wait.until(ExpectedConditions.attributeToBe(cell("pending", "td.decision"), "data-decision", "allowed"));

        // The token survives a reload of the page (sessionStorage), and the session sees the same table.
        browser.navigate().refresh();
        wait.until(ExpectedConditions.textToBe(cell("pending", ".status"), "Approved"));

        // The replicas (SPEC §10): one machine here, enforcing the newest set.
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#replica-rows tr[data-replica]")));
        final WebElement replica = browser.findElement(By.cssSelector("#replica-rows tr[data-replica]"));
        assertThat(replica.getText()).contains("Latest", Integer.toString(gateway.port()));
        assertThat(browser.findElement(By.id("store-revision")).getText()).matches("\\d+");
        page.chromium().screenshot("admin-page.png");
    }

    @Test
    void theAddFormCreatesAPendingEndpointAndNamesABadField() throws Exception {
        open(TestGateway.ADMIN_TOKEN);

        page.click(By.id("add-toggle"));
        final WebElement form = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("add-form")));
        form.findElement(By.name("name")).sendKeys("new-spe");
        form.findElement(By.name("privateLinkResourceId")).sendKeys(TestGateway.RESOURCE);
        form.findElement(By.name("privateIps")).sendKeys("127.0.0.70, 10.1.0.999");
        form.findElement(By.name("requestMessage")).sendKeys("second SignalR instance");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("add-error")));
        assertThat(browser.findElement(By.id("add-error")).getText()).startsWith("properties.privateIps[1]:");
        assertThat(form.findElement(By.name("privateIps")).getAttribute("class")).contains("invalid");

        final WebElement ips = form.findElement(By.name("privateIps"));
        ips.clear();
        ips.sendKeys("127.0.0.70");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(row("new-spe")));
        assertThat(browser.findElement(cell("new-spe", ".status")).getText()).isEqualTo("Pending");
        assertThat(browser.findElement(By.id("add-panel")).isDisplayed()).isFalse();
        assertThat(call("127.0.0.70")).isEqualTo(403);

        page.click(cell("new-spe", "[data-action=approve]"));
        wait.until(ExpectedConditions.textToBe(cell("new-spe", ".status"), "Approved"));
        assertThat(call("127.0.0.70")).isEqualTo(200);
    }

    @Test
    void theStatusFilterAndTheSearchByNameOrAddressNarrowTheTable() {
        open(TestGateway.ADMIN_TOKEN);
        page.awaitCount("", 6);
        page.awaitCount("Approved", 2);
        page.awaitCount("Rejected", 1);

        page.filterBy("Rejected");
        page.awaitNames("rows", List.of("rejected"));
        assertThat(page.filter("Rejected").getAttribute("aria-pressed")).isEqualTo("true");
        page.filterBy("");
        page.awaitNames("rows", ALL);

        // A substring of the name, in any letter case.
        page.search("APPROVED");
        page.awaitNames("rows", List.of("approved", "other-approved"));
        // An address one of the endpoint's privateIps holds.
        page.search("127.0.0.30");
        page.awaitNames("rows", List.of("rejected"));
        page.search("127.0.0.99");
        page.awaitNames("rows", List.of());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("empty")));
        assertThat(browser.findElement(By.id("empty")).getText()).contains("No endpoint matches");

        // Filter and search together.
        page.search("approved");
        page.awaitNames("rows", List.of("approved", "other-approved"));
        page.filterBy("Pending");
        page.awaitNames("rows", List.of());
        page.search("pend");
        page.awaitNames("rows", List.of("pending"));
    }

    @Test
    void thePendingQueueComesFirstAndAnApprovalShowsInTheHistory() {
        open(TestGateway.ADMIN_TOKEN);
        page.awaitNames("pending-rows", List.of("pending"));
        assertThat(browser.findElement(By.id("pending-panel")).isDisplayed()).isTrue();
        wait.until(ExpectedConditions.textToBe(By.id("pending-count"), "(1)"));

        page.click(pendingCell("pending", "[data-action=approve]"));
        page.awaitNames("pending-rows", List.of());
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("pending-panel")));
        wait.until(ExpectedConditions.textToBe(cell("pending", ".status"), "Approved"));
        page.awaitCount("Pending", 0);

        page.click(cell("pending", "[data-action=history]"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#history-rows li")));
        assertThat(browser.findElement(By.id("history-name")).getText()).isEqualTo("pending");
        final WebElement newest = browser.findElement(By.cssSelector("#history-rows li"));
        assertThat(newest.getAttribute("data-action")).isEqualTo("approve");
        assertThat(newest.getText()).contains("Pending → Approved", "by admin");

        // A change while the history is open comes first in it.
        page.click(cell("pending", "[data-action=reject]"));
        wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#history-rows li"), "data-action", "reject"));
        assertThat(browser.findElements(By.cssSelector("#history-rows li"))).hasSize(2);
        browser.findElement(By.id("history-title")).sendKeys(Keys.ESCAPE);
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("history")));
    }

    @Test
    void changesMadeElsewhereAppearWithoutAReload() throws Exception {
        open(TestGateway.ADMIN_TOKEN);
        wait.until(ExpectedConditions.attributeToBe(By.id("live"), "data-state", "on"));
        // Gone if the page were loaded again: the changes below must come without a reload.
        page.chromium().script("window.sameDocument = true");
        final AdminClient other = new AdminClient(gateway.adminPort(), TestGateway.APPROVER_TOKEN);

        assertThat(other.put("/api/shared-private-endpoints/api-made", "{\"properties\":{\"groupId\":\"sites\","
                + "\"privateLinkResourceId\":\"" + TestGateway.RESOURCE + "\",\"privateIps\":[\"127.0.0.71\"]}}")
                .status()).isEqualTo(201);
        page.awaitNames("rows", List.of("api-made", "approved", "disconnected", "other-approved", "pending", "rejected",
                "timeout"));
        page.awaitNames("pending-rows", List.of("api-made", "pending"));
        page.awaitCount("Pending", 2);

        // An endpoint that no longer matches the filter leaves the view.
        page.filterBy("Pending");
        page.awaitNames("rows", List.of("api-made", "pending"));
        assertThat(other.post("/api/shared-private-endpoints/api-made/approve", null).status()).isEqualTo(200);
        page.awaitNames("rows", List.of("pending"));
        page.awaitNames("pending-rows", List.of("pending"));
        page.awaitCount("Pending", 1);
        page.filterBy("");
        wait.until(ExpectedConditions.textToBe(cell("api-made", ".status"), "Approved"));

        assertThat(other.delete("/api/shared-private-endpoints/api-made").status()).isEqualTo(204);
        page.awaitNames("rows", ALL);

        // A hand edit of the endpoints file: one more endpoint, one status changed.
        final String edited = TestGateway.STANDARD_ENDPOINTS
                .replace(TestGateway.endpoint("rejected", TestGateway.RESOURCE, "Rejected", "127.0.0.30"),
                        TestGateway.endpoint("rejected", TestGateway.RESOURCE, "Approved", "127.0.0.30"))
                + TestGateway.endpoint("from-file", TestGateway.RESOURCE, "Pending", "127.0.0.72");
        assertThat(edited).contains("from-file").doesNotContain("Rejected");
        writeAtomically(gateway.dir().resolve("endpoints.yaml"), edited);
        page.awaitNames("rows", List.of("approved", "disconnected", "from-file", "other-approved", "pending", "rejected",
                "timeout"));
        wait.until(ExpectedConditions.textToBe(cell("rejected", ".status"), "Approved"));
        page.awaitNames("pending-rows", List.of("from-file", "pending"));
        page.awaitCount("Rejected", 0);

        assertThat(page.chromium().script("return window.sameDocument === true")).isEqualTo(true);
        assertThat(browser.findElement(By.id("live")).getAttribute("data-state")).isEqualTo("on");
    }

    @Test
    void aReaderIsToldItsTokenMayOnlyRead() throws Exception {
        open(TestGateway.READER_TOKEN);

        page.click(cell("pending", "[data-action=approve]"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("banner")));
        assertThat(browser.findElement(By.id("banner-title")).getText()).isEqualTo("Your token may only read.");
        assertThat(browser.findElement(By.id("banner-text")).getText()).contains("approve pending", "reader");
        assertThat(browser.findElement(cell("pending", ".status")).getText()).isEqualTo("Pending");
        assertThat(new AdminClient(gateway.adminPort()).get("/api/shared-private-endpoints/pending").json()
                .path("properties").path("status").asText()).isEqualTo("Pending");

        // The banner stays while the page refreshes around it.
        page.click(By.id("refresh"));
        wait.until(ExpectedConditions.attributeToBe(By.id("live"), "data-state", "on"));
        assertThat(browser.findElement(By.id("banner")).isDisplayed()).isTrue();
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        final Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temp, text);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
