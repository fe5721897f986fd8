package dev.privateupstream.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Coverage-guided fuzzing of {@link ConfigLoader} (Jazzer): whatever bytes {@code gateway.yaml} and the
 * endpoints file hold, loading either succeeds or throws {@link ConfigException}; never anything else (no
 * parser exception, no {@code NullPointerException}, no stack overflow) and never hangs.
 *
 * <p>The input is {@code gateway.yaml}, a NUL byte, then {@code endpoints.yaml}. In the default build only
 * the committed corpus under {@code ConfigLoaderFuzzTestInputs/} runs; {@code JAZZER_FUZZ=1} fuzzes (see
 * docs/operations-hostile-input.md).
 */
class ConfigLoaderFuzzTest {
    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("config-fuzz");
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final ConfigLoader LOADER = new ConfigLoader(Map.of("PORT", "8080", "KEY", "k1", "EMPTY", ""));

    @FuzzTest(maxDuration = "10m")
    void loadsOrRejectsWithConfigException(byte[] input) throws IOException {
        int split = 0;
        while (split < input.length && input[split] != 0) {
            split++;
        }
        final Path gateway = DIR.resolve("gateway.yaml");
        Files.write(gateway, Arrays.copyOfRange(input, 0, split));
        Files.write(DIR.resolve("endpoints.yaml"),
                split < input.length ? Arrays.copyOfRange(input, split + 1, input.length) : new byte[0]);
        try {
            final GatewayConfig config = LOADER.load(gateway);
            if (config.listen() == null || config.limits() == null || config.upstreams().isEmpty()) {
                throw new AssertionError("a loaded configuration is complete: " + config);
            }
        } catch (ConfigException expected) {
            if (expected.errors().isEmpty()) {
                throw new AssertionError("a ConfigException names its errors", expected);
            }
        }
    }
}
