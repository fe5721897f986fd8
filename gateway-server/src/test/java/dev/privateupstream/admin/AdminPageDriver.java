package dev.privateupstream.admin;

import dev.privateupstream.testing.Chromium;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin page in {@link Chromium}, as its tests read it: the rows of a table by name, the status filter's
 * counts, the search box. Closing it fails when the page logged an error in the browser's console.
 */
final class AdminPageDriver implements AutoCloseable {
    private final Chromium chromium;

    AdminPageDriver(Path profile, Duration patience) {
        this.chromium = Chromium.start(profile, patience);
    }

    Chromium chromium() {
        return chromium;
    }

    WebDriver browser() {
        return chromium.driver();
    }

    WebDriverWait await() {
        return chromium.await();
    }

    void click(By by) {
        chromium.click(by);
    }

    /** The names in a table body ({@code rows}, {@code pending-rows}), read in one go, never half redrawn. */
    @SuppressWarnings("unchecked")
    List<String> names(String tbody) {
        return (List<String>) chromium.script("return [...document.querySelectorAll('#' + arguments[0] + ' tr')]"
                + ".map(r => r.dataset.name)", tbody);
    }

    /** The statuses of the main table's rows, in order. */
    @SuppressWarnings("unchecked")
    List<String> statuses() {
        return (List<String>) chromium.script("return [...document.querySelectorAll('#rows tr')]"
                + ".map(r => r.dataset.status)");
    }

    void awaitNames(String tbody, List<String> expected) {
        try {
            await().until(d -> names(tbody).equals(expected));
        } catch (TimeoutException e) {
            throw new AssertionError("#" + tbody + " shows " + names(tbody) + ", expected " + expected, e);
        }
    }

    /** Waits for the status filter's button for {@code status} ({@code ""}: all) to count {@code count}. */
    void awaitCount(String status, int count) {
        await().until(ExpectedConditions.attributeToBe(filter(status).findElement(By.className("count")),
                "data-count", Integer.toString(count)));
    }

    /** The status filter's button for {@code status}, {@code ""} for all. */
    WebElement filter(String status) {
        return browser().findElement(By.cssSelector("#status-filter button[data-status='" + status + "']"));
    }

    void filterBy(String status) {
        click(By.cssSelector("#status-filter button[data-status='" + status + "']"));
    }

    /** Replaces the search box's text with {@code text}, typed. */
    void search(String text) {
        final WebElement box = browser().findElement(By.id("search"));
        box.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        box.sendKeys(text);
    }

    /** All the table rows in the document. */
    long rowsInDom() {
        return (Long) chromium.script("return document.querySelectorAll('tr').length");
    }

    @Override
    public void close() throws Exception {
        closeWith();
    }

    /**
     * Quits the browser, then closes {@code others} (the gateway and backend the page looked at; nulls are
     * skipped) in order, each even if one before failed; then fails if the page logged errors in the console.
     */
    void closeWith(AutoCloseable... others) throws Exception {
        final List<String> errors;
        try {
            errors = chromium.consoleErrors();
        } finally {
            closeAll(chromium, others, 0);
        }
        if (!errors.isEmpty()) {
            throw new AssertionError("the page logged errors in the browser's console: " + errors);
        }
    }

    private static void closeAll(AutoCloseable first, AutoCloseable[] rest, int next) throws Exception {
        try {
            if (first != null) {
                first.close();
            }
        } finally {
            if (next < rest.length) {
                closeAll(rest[next], rest, next + 1);
            }
        }
    }
}
