package dev.privateupstream.simulator;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

/**
 * Fails a test when Netty's leak detector reports a {@code ByteBuf} that was garbage-collected unreleased.
 * Turns detection to {@code PARANOID} (every buffer tracked) and, after each test, collects garbage and
 * allocates a few buffers, which is when the detector looks for collected, unreleased ones.
 */
final class LeakDetectionExtension implements BeforeAllCallback, AfterEachCallback {

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static volatile boolean installed;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        install();
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (int round = 0; round < 2 && LEAKS.isEmpty(); round++) {
            System.gc();
            Thread.sleep(20);
            for (int i = 0; i < 8; i++) {
                final ByteBuf probe = ByteBufAllocator.DEFAULT.buffer(16);
                probe.release();
            }
        }
        if (!LEAKS.isEmpty()) {
            final String report = String.join("\n\n", LEAKS);
            LEAKS.clear();
            throw new AssertionError("Netty reported leaked buffers:\n" + report);
        }
    }

    /**
     * The detector shared by every {@code ByteBuf} takes one listener; ours calls any listener set before it,
     * so another test extension keeps working.
     */
    private static synchronized void install() throws ReflectiveOperationException {
        if (installed) {
            return;
        }
        final Field detectorField = AbstractByteBuf.class.getDeclaredField("leakDetector");
        detectorField.setAccessible(true);
        final ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) detectorField.get(null);
        final Field listenerField = ResourceLeakDetector.class.getDeclaredField("leakListener");
        listenerField.setAccessible(true);
        final ResourceLeakDetector.LeakListener previous = (ResourceLeakDetector.LeakListener) listenerField.get(detector);
        detector.setLeakListener((resourceType, records) -> {
            LEAKS.add(resourceType + ": " + records);
            if (previous != null) {
                previous.onLeak(resourceType, records);
            }
        });
        installed = true;
    }
}
