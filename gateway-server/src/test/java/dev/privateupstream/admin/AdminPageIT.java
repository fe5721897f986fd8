package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestGateway;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.ElementClickInterceptedException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin page in a real browser (Debian's chromium driven through chromedriver): the workflow the product
 * comes from, clicked through. The token is refused, then accepted; Approve on a {@code Pending} endpoint
 * lets its calls through the proxy; the add form creates an endpoint and names a bad field. A screenshot at
 * 1366x768 is left in the build folder for a reviewer: {@code admin-page.png}.
 *
 * <p>Without chromium the test is skipped on a developer's machine and fails under CI ({@code CI=true}),
 * whose script installs {@code chromium} and {@code chromium-driver}.
 */
class AdminPageIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final String REQUEST = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";

    @TempDir
    Path dir;
    @TempDir
    Path profile;

    private RecordingBackend backend;
    private TestGateway gateway;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void start() throws Exception {
        final boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!"true".equals(System.getenv("CI"))) {
            Assumptions.assumeTrue(installed, "chromium and chromium-driver are not installed");
        }
        assertThat(installed).as("chromium and chromium-driver must be installed (apt-get install chromium "
                + "chromium-driver)").isTrue();
        backend = RecordingBackend.start();
        gateway = TestGateway.standard(dir, backend, "");

        final ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--window-size=1366,768", "--lang=en-US");
        // The driver is given explicitly, so Selenium Manager (which would download one) never runs.
        final ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(15));
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private int call(String source) throws IOException {
        try (RawClient client = new RawClient(source, gateway.port())) {
            return client.send(REQUEST).read().status();
        }
    }

    private By row(String name) {
        return By.cssSelector("tr[data-name='" + name + "']");
    }

    private By cell(String name, String css) {
        return By.cssSelector("tr[data-name='" + name + "'] " + css);
    }

    /** Clicks what {@code by} finds, again if the page re-rendered the table in between. */
    private void click(By by) {
        wait.ignoring(StaleElementReferenceException.class).ignoring(ElementClickInterceptedException.class).until(d -> {
            final WebElement element = d.findElement(by);
            if (!element.isEnabled()) {
                return false;
            }
            element.click();
            return true;
        });
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
        assertThat(browser.findElement(cell("pending", "td.denied")).getText()).isEqualTo("1");
        assertThat(browser.findElement(cell("approved", "[data-action=approve]")).isEnabled()).isFalse();
        assertThat(browser.findElement(cell("approved", "[data-action=reject]")).isEnabled()).isTrue();

        click(cell("pending", "[data-action=approve]"));
        wait.until(ExpectedConditions.textToBe(cell("pending", ".status"), "Approved"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("toast"), "Approved pending"));
        assertThat(browser.findElement(cell("pending", "[data-action=approve]")).isEnabled()).isFalse();

        assertThat(call("127.0.0.20")).isEqualTo(200);
        assertThat(backend.received()).hasSize(1);
        assertThat(backend.received().get(0).headers("X-Forwarded-For")).containsExactly("127.0.0.20");
        click(By.id("refresh"));
        wait.until(ExpectedConditions.textToBe(cell("pending", "td.allowed"), "1"));

        // The token survives a reload of the page (sessionStorage), and the session sees the same table.
        browser.navigate().refresh();
        wait.until(ExpectedConditions.textToBe(cell("pending", ".status"), "Approved"));

        // The replicas (SPEC §10): one machine here, enforcing the newest set.
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#replica-rows tr[data-replica]")));
        final WebElement replica = browser.findElement(By.cssSelector("#replica-rows tr[data-replica]"));
        assertThat(replica.getText()).contains("Latest", Integer.toString(gateway.port()));
        assertThat(browser.findElement(By.id("store-revision")).getText()).matches("\\d+");
        screenshot();
    }

    @Test
    void theAddFormCreatesAPendingEndpointAndNamesABadField() throws Exception {
        browser.get("http://127.0.0.1:" + gateway.adminPort() + "/");
        useToken(TestGateway.ADMIN_TOKEN);
        wait.until(ExpectedConditions.visibilityOfElementLocated(row("pending")));

        click(By.id("add-toggle"));
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

        click(cell("new-spe", "[data-action=approve]"));
        wait.until(ExpectedConditions.textToBe(cell("new-spe", ".status"), "Approved"));
        assertThat(call("127.0.0.70")).isEqualTo(200);
    }

    /** The page as a reviewer would see it on a laptop. */
    private void screenshot() throws IOException {
        final File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
        final Path target = Path.of(System.getProperty("build.directory", "target"), "admin-page.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }
}
