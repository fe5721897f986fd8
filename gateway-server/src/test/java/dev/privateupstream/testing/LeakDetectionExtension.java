package dev.privateupstream.testing;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a leaked buffer during it.
 *
 * <p>Registered for every test through JUnit's extension auto-detection, so it is installed before any
 * buffer class initialises its detector. Tests run with {@code -Dio.netty.leakDetection.level=paranoid}
 * (set in the parent POM), so every buffer is tracked. Leaks are only noticed after the garbage collector
 * has reclaimed the buffer and a later allocation polls the queue: after each class the extension runs
 * the collector, allocates to trigger the poll, and fails with the records of every leak found.
 */
public final class LeakDetectionExtension implements AfterAllCallback {
    private static final List<String> leaks = new ArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        provokeReports();
        final List<String> found = drainLeaks();
        if (!found.isEmpty()) {
            throw new AssertionError("Netty reported " + found.size() + " leak(s) in "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", found));
        }
    }

    /** Every leak reported since the last call, cleared. */
    static List<String> drainLeaks() {
        synchronized (leaks) {
            final List<String> found = new ArrayList<>(leaks);
            leaks.clear();
            return found;
        }
    }

    /** Runs the collector and allocates, so that leaked buffers already unreachable get reported. */
    static void provokeReports() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            for (int j = 0; j < 16; j++) {
                PooledByteBufAllocator.DEFAULT.directBuffer(64).release();
                PooledByteBufAllocator.DEFAULT.heapBuffer(64).release();
            }
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                long maxActive) {
            return new RecordingDetector<>(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            synchronized (leaks) {
                leaks.add(resourceType + " leaked:" + records);
            }
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            synchronized (leaks) {
                leaks.add(resourceType + " leaked (untraced)");
            }
            super.reportUntracedLeak(resourceType);
        }
    }
}
