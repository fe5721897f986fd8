package dev.privateupstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The production default for Netty's leak detector, and that an operator's own setting wins. Netty reads
 * these properties once, long before these tests run, so changing them here affects nothing else.
 */
class LeakSamplingTest {
    private static final String LEVEL = "io.netty.leakDetection.level";
    private static final String INTERVAL = "io.netty.leakDetection.samplingInterval";

    private Properties saved;

    @BeforeEach
    void save() {
        saved = (Properties) System.getProperties().clone();
        System.clearProperty(LEVEL);
        System.clearProperty(INTERVAL);
    }

    @AfterEach
    void restore() {
        System.setProperties(saved);
    }

    @Test
    void withoutAnyPropertyOneBufferInSixteenThousandIsSampled() {
        GatewayCommand.sparseLeakSampling();
        assertThat(System.getProperty(INTERVAL)).isEqualTo("16384");
        assertThat(System.getProperty(LEVEL)).isNull();
    }

    @Test
    void anOperatorsLevelIsKeptAsGiven() {
        System.setProperty(LEVEL, "paranoid");
        GatewayCommand.sparseLeakSampling();
        assertThat(System.getProperty(INTERVAL)).isNull();
        assertThat(System.getProperty(LEVEL)).isEqualTo("paranoid");
    }

    @Test
    void anOperatorsIntervalIsKeptAsGiven() {
        System.setProperty(INTERVAL, "128");
        GatewayCommand.sparseLeakSampling();
        assertThat(System.getProperty(INTERVAL)).isEqualTo("128");
    }
}
