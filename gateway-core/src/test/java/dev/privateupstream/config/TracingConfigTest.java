package dev.privateupstream.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tracing} (SPEC §12): off when absent, read and defaulted, refused with located errors. */
class TracingConfigTest {
    private static final String REST = ConfigFiles.MINIMAL;

    @TempDir
    Path folder;
    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(folder).endpoints("[]\n");
    }

    @Test
    void offWhenAbsent() throws Exception {
        assertThat(files.gateway(REST).load().tracing()).isNull();
    }

    @Test
    void readsEndpointAndRatio() throws Exception {
        final GatewayConfig config = files.environment(Map.of("OTLP", "http://otel-collector:4318"))
                .gateway("""
                        tracing:
                          otlpEndpoint: ${OTLP}
                          samplingRatio: 0.1
                        """ + REST).load();

        assertThat(config.tracing()).isEqualTo(new TracingConfig(URI.create("http://otel-collector:4318"), 0.1));
        assertThat(config.withEndpoints(config.endpoints()).tracing()).isEqualTo(config.tracing());
    }

    @Test
    void defaultsToEverySpanAndTheEnvironmentsEndpoint() throws Exception {
        final GatewayConfig config = files.gateway("""
                tracing:
                  samplingRatio: 1
                """ + REST).load();

        assertThat(config.tracing()).isEqualTo(new TracingConfig(null, TracingConfig.DEFAULT_SAMPLING_RATIO));
    }

    @Test
    void locatesEveryMistakeAtOnce() {
        final ConfigException e = files.gateway("""
                tracing:
                  otlpEndpoint: grpc://otel-collector:4317
                  samplingRatio: 1.5
                  sampling: 0.1
                """ + REST).loadFails();

        assertThat(e.errors()).extracting(ConfigError::toString).containsExactlyInAnyOrder(
                files.gateway + ":2: tracing.otlpEndpoint: 'grpc://otel-collector:4317' (expected: the "
                        + "collector's OTLP/HTTP base URL, such as http://otel-collector:4318)",
                files.gateway + ":3: tracing.samplingRatio: '1.5' (expected: a number from 0 to 1, such as 0.1)",
                files.gateway + ":4: tracing.sampling: unknown key (expected one of: otlpEndpoint, samplingRatio)");
    }

    @Test
    void refusesARatioThatIsNotANumber() {
        final ConfigException e = files.gateway("""
                tracing:
                  samplingRatio: NaN
                """ + REST).loadFails();

        assertThat(e.errors()).extracting(ConfigError::keyPath).containsExactly("tracing.samplingRatio");
    }
}
