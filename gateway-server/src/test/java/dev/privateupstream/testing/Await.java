package dev.privateupstream.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition another thread makes true: polled, bounded, never a fixed sleep. */
public final class Await {
    private static final Duration DEFAULT = Duration.ofSeconds(15);

    private Await() {
    }

    /** Returns once {@code condition} holds; fails naming {@code what} after 15 s. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT, condition);
    }

    /** Returns once {@code condition} holds; fails naming {@code what} after {@code timeout}. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting until " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting until " + what, e);
            }
        }
    }
}
