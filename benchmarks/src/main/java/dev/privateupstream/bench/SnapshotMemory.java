package dev.privateupstream.bench;

import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.EndpointsFile;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.policy.PolicySnapshot;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a policy snapshot costs in heap and in compile time against its size (issue 18, "Scale"):
 * {@code SnapshotMemory [SIZES [REPEATS [CSV]]]}, sizes in prefixes (default 10,000, 100,000 and
 * 1,000,000), endpoints of four prefixes each, 80 % IPv4 ({@link GeneratedEndpoints}), over the decision
 * benchmark's three upstreams.
 *
 * <p>For each size and each repetition: the used heap after full collections with nothing held, with the
 * validated configuration held (the endpoint records, which the snapshot keeps: {@code endpoint records}), then
 * with the snapshot compiled from it by {@link PolicySnapshot#of} held too ({@code compiled}); the snapshot's
 * whole cost is the sum, what a gateway holds per endpoint set in force (two while a reload swaps). The median
 * of the repetitions is printed as a Markdown table and, with {@code CSV}, written there. The timings (the
 * loader's rules over the set, then the compile) come from the same runs, after a warm-up at the smallest size;
 * then, once per size, the set is written as an endpoints file and the loader's read of it (parse and check) is
 * timed, as a whole reload of the file pays it. Run it alone, with a heap large enough for the largest size (4
 * GiB for 1,000,000) and {@code -XX:+UseParallelGC}, whose {@code System.gc()} is a full, stop-the-world
 * collection.
 */
public final class SnapshotMemory {
    private SnapshotMemory() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        final int[] sizes = Arrays.stream((args.length > 0 ? args[0] : "10000,100000,1000000").split(","))
                .mapToInt(Integer::parseInt).toArray();
        final int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        final Path csv = args.length > 2 ? Path.of(args[2]) : null;
        final String yaml = BenchmarkConfig.threeUpstreams();
        final List<String> resources = List.of(BenchmarkConfig.resource("func-a"),
                BenchmarkConfig.resource("func-b"), BenchmarkConfig.resource("func-c"));

        // Warm-up: the loader, the rules and the compile path run compiled code when timed.
        for (int i = 0; i < 3; i++) {
            final List<SharedPrivateEndpoint> set = GeneratedEndpoints.of(Arrays.stream(sizes).min().orElseThrow(),
                    11, resources, "");
            PolicySnapshot.of(GeneratedEndpoints.configure(BenchmarkConfig.load(yaml), set), 1);
            FileLoad.time(BenchmarkConfig.load(yaml), set);
        }

        final List<String> rows = new ArrayList<>();
        rows.add("prefixes,endpoints,records_bytes,compiled_bytes,total_bytes,bytes_per_prefix,mib_per_100k_prefixes,"
                + "validate_ms,compile_ms_median,compile_ms_max,file_bytes,file_load_ms");
        System.out.println("| prefixes | endpoints | endpoint records | compiled tables | snapshot in all | bytes per "
                + "prefix | MiB per 100,000 prefixes | check the set (ms) | compile (ms, median / max) "
                + "| endpoints file | load the file (ms) |");
        System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int size : sizes) {
            final long[] records = new long[repeats];
            final long[] compiled = new long[repeats];
            final long[] validateNanos = new long[repeats];
            final long[] compileNanos = new long[repeats];
            int endpoints = 0;
            for (int r = 0; r < repeats; r++) {
                final GatewayConfig base = BenchmarkConfig.load(yaml);
                final long nothing = usedHeapAfterGc();
                List<SharedPrivateEndpoint> set = GeneratedEndpoints.of(size, 7, resources, "");
                endpoints = set.size();
                final long t0 = System.nanoTime();
                GatewayConfig config = GeneratedEndpoints.configure(base, set);
                final long t1 = System.nanoTime();
                set = null;
                final long withRecords = usedHeapAfterGc();
                final long t2 = System.nanoTime();
                PolicySnapshot snapshot = PolicySnapshot.of(config, 1);
                final long t3 = System.nanoTime();
                final long withSnapshot = usedHeapAfterGc();
                Reference.reachabilityFence(snapshot);
                Reference.reachabilityFence(config);
                Reference.reachabilityFence(base);
                snapshot = null;
                config = null;
                // The base configuration (a few upstreams) is held throughout, so it cancels out.
                records[r] = withRecords - nothing;
                compiled[r] = withSnapshot - withRecords;
                validateNanos[r] = t1 - t0;
                compileNanos[r] = t3 - t2;
            }
            final long rec = median(records);
            final long comp = median(compiled);
            final long total = rec + comp;
            final double perPrefix = (double) total / size;
            final double mibPer100k = perPrefix * 100_000 / (1 << 20);
            final double validateMs = median(validateNanos) / 1e6;
            final double compileMs = median(compileNanos) / 1e6;
            final double compileMaxMs = Arrays.stream(compileNanos).max().orElseThrow() / 1e6;
            final FileLoad load = FileLoad.time(BenchmarkConfig.load(yaml),
                    GeneratedEndpoints.of(size, 7, resources, ""));
            System.out.printf(Locale.ROOT, "| %,d | %,d | %.1f MiB | %.1f MiB | %.1f MiB | %.0f | %.1f | %.0f "
                    + "| %.0f / %.0f | %.1f MB | %s |%n", size, endpoints, rec / 1048576.0, comp / 1048576.0,
                    total / 1048576.0, perPrefix, mibPer100k, validateMs, compileMs, compileMaxMs, load.bytes / 1e6,
                    load.millis < 0 ? "n/a: over YAML's 64 Mi code points"
                            : String.format(Locale.ROOT, "%.0f", load.millis));
            rows.add(String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%.1f,%.2f,%.1f,%.1f,%.1f,%d,%.1f", size, endpoints, rec,
                    comp, total, perPrefix, mibPer100k, validateMs, compileMs, compileMaxMs, load.bytes, load.millis));
        }
        if (csv != null) {
            Files.write(csv, rows);
        }
    }

    /**
     * The live heap after full collections: with Parallel GC the old generation's use, since a full
     * collection compacts every live object into it, while the young generation's use then counts the whole
     * TLAB this thread took since (megabytes, and never the same twice); with another collector, the heap's.
     */
    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
        }
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getName().equals("PS Old Gen")) {
                return pool.getUsage().getUsed();
            }
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * The same set as an endpoints file written by the gateway's writer, and the time the loader takes to
     * read, parse and check it ({@link ConfigLoader#loadEndpoints}): with the compile, what a whole reload of
     * the file costs. {@code millis} is -1 when the file is over what one YAML document may hold.
     */
    private record FileLoad(long bytes, double millis) {
        static FileLoad time(GatewayConfig base, List<SharedPrivateEndpoint> set) throws IOException {
            final Path dir = Files.createTempDirectory("snapshot-memory");
            final Path file = dir.resolve("endpoints.yaml");
            try {
                EndpointsFile.write(file, set);
                final long bytes = Files.size(file);
                final long t0 = System.nanoTime();
                try {
                    new ConfigLoader(Map.of()).loadEndpoints(file, base.upstreams());
                } catch (ConfigException e) {
                    if (e.getMessage().contains("exceeds the limit")) {
                        return new FileLoad(bytes, -1);
                    }
                    throw new IllegalStateException("the endpoints file was rejected: " + e.getMessage(), e);
                }
                return new FileLoad(bytes, (System.nanoTime() - t0) / 1e6);
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            }
        }
    }

    private static long median(long[] values) {
        final long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
