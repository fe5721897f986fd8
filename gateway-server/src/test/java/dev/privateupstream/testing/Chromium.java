package dev.privateupstream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.ElementClickInterceptedException;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless chromium driven through chromedriver, at 1366x768, for the admin page's tests. Without
 * chromium a test is skipped on a developer's machine and fails under CI ({@code CI=true}), whose script
 * installs {@code chromium} and {@code chromium-driver}. The browser's console is kept, so a test can check
 * the page logged no error.
 */
public final class Chromium implements AutoCloseable {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private final ChromeDriver driver;
    private final WebDriverWait wait;

    private Chromium(ChromeDriver driver, Duration patience) {
        this.driver = driver;
        this.wait = new WebDriverWait(driver, patience);
    }

    /** A browser with its profile in {@code profile}, whose waits give up after {@code patience}. */
    public static Chromium start(Path profile, Duration patience) {
        final boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!"true".equals(System.getenv("CI"))) {
            Assumptions.assumeTrue(installed, "chromium and chromium-driver are not installed");
        }
        assertThat(installed).as("chromium and chromium-driver must be installed (apt-get install chromium "
                + "chromium-driver)").isTrue();
        final ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--window-size=1366,768", "--lang=en-US");
        final LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        // The driver is given explicitly, so Selenium Manager (which would download one) never runs.
        final ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new Chromium(new ChromeDriver(service, options), patience);
    }

    public WebDriver driver() {
        return driver;
    }

    public WebDriverWait await() {
        return wait;
    }

    /** Runs {@code script} in the page (its {@code arguments} are {@code args}) and answers what it returns. */
    public Object script(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** Clicks what {@code by} finds once it is enabled, again if the page redrew it in between. */
    public void click(By by) {
        wait.ignoring(StaleElementReferenceException.class).ignoring(ElementClickInterceptedException.class)
                .until(d -> {
                    final WebElement element = d.findElement(by);
                    if (!element.isEnabled()) {
                        return false;
                    }
                    element.click();
                    return true;
                });
    }

    /**
     * The console's errors since the last call: uncaught exceptions, {@code console.error}. A request the server
     * refused (a 401 before the token is entered, a reader's 403) is the page's normal work, and the browser
     * logs it as an error of its own: those are left out.
     */
    public List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .filter(message -> !message.contains("Failed to load resource: the server responded with a status of"))
                .toList();
    }

    /** Leaves a screenshot named {@code name} in the build folder for a reviewer. */
    public void screenshot(String name) throws IOException {
        final File shot = driver.getScreenshotAs(OutputType.FILE);
        final Path target = Path.of(System.getProperty("build.directory", "target"), name);
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        driver.quit();
    }
}
