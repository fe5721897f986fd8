package dev.privateupstream.bench.scale;

import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.EndpointsFile;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The loader's share of a reload of the endpoints file, in one process, without the watcher's wait or the
 * compile: reading, parsing and checking {@code ENDPOINTS} endpoints (four prefixes each) when every
 * endpoint changed (a whole parse), and when one or {@code K} did (the unchanged items taken from the read
 * before). Medians of {@code REPEATS}, after as many rounds of warm-up.
 *
 * <pre>
 * java -cp benchmarks.jar dev.privateupstream.bench.scale.ReloadCost ENDPOINTS REPEATS
 * </pre>
 */
public final class ReloadCost {
    private static final String RESOURCE = "/subscriptions/0/resourceGroups/scale/providers/Microsoft.Web/sites/fn";

    private ReloadCost() {
    }

    public static void main(String[] args) throws Exception {
        final int endpoints = Integer.parseInt(args[0]);
        final int repeats = Integer.parseInt(args[1]);
        final List<UpstreamConfig> upstreams = List.of(new UpstreamConfig("scale", RESOURCE,
                URI.create("http://127.0.0.1:1"), List.of(), null, null, null, 16));
        final Path folder = Files.createTempDirectory("reload-cost");
        final Path file = folder.resolve("endpoints.yaml");
        final List<SharedPrivateEndpoint> base = ReloadDriver.set(endpoints, RESOURCE, "va");
        final ConfigLoader loader = new ConfigLoader(Map.of());
        System.out.printf(Locale.ROOT, "%,d endpoints%n", endpoints);
        for (int changed : new int[] {endpoints, 1, 100}) {
            final double[] millis = new double[repeats];
            for (int round = -repeats; round < repeats; round++) {
                // Alternate two versions that differ in the first `changed` endpoints.
                final List<SharedPrivateEndpoint> set = new ArrayList<>(base);
                final String description = (round & 1) == 0 ? "vb" : "va";
                for (int i = 0; i < Math.min(changed, set.size()); i++) {
                    set.set(i, set.get(i).withStatus(set.get(i).status(), description));
                }
                EndpointsFile.write(file, set);
                final long t0 = System.nanoTime();
                try {
                    loader.loadEndpoints(file, upstreams);
                } catch (ConfigException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
                if (round >= 0) {
                    millis[round] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(millis);
            System.out.printf(Locale.ROOT, "RESULT endpoints=%d changed=%d median_ms=%.1f max_ms=%.1f bytes=%d%n",
                    endpoints, Math.min(changed, endpoints), millis[repeats / 2], millis[repeats - 1],
                    Files.size(file));
        }
        Files.deleteIfExists(file);
        Files.deleteIfExists(folder);
    }
}
