package dev.privateupstream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** The leak check itself can fail: a buffer dropped without release is reported. */
class LeakDetectionExtensionTest {

    @Test
    void reportsABufferDroppedWithoutRelease() throws InterruptedException {
        LeakDetectionExtension.drainLeaks();
        leakOne();
        LeakDetectionExtension.provokeReports();
        // Drained here so this deliberate leak does not fail the class.
        assertThat(LeakDetectionExtension.drainLeaks()).isNotEmpty().first().asString().contains("ByteBuf");
    }

    private static void leakOne() {
        final ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(128);
        leaked.writeLong(42);
    }
}
