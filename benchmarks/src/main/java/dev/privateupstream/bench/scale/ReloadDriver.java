package dev.privateupstream.bench.scale;

import dev.privateupstream.bench.GeneratedEndpoints;
import dev.privateupstream.config.EndpointsFile;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Whole reloads of a gateway's endpoints file, timed from outside (issue 18: "a reload of 100,000 endpoints
 * applied in under 500 ms"):
 *
 * <pre>
 * ReloadDriver write  FILE ENDPOINTS RESOURCE                          the first file
 * ReloadDriver reload ADMIN_PORT FILE ENDPOINTS RESOURCE REPEATS CSV   one at a time, 2 s apart
 * ReloadDriver storm  ADMIN_PORT FILE ENDPOINTS RESOURCE SECONDS CSV [STOP_FILE [PAUSE_FILE]]
 *                                                                      back to back for SECONDS at most,
 *                                                                      or until STOP_FILE exists; none
 *                                                                      while PAUSE_FILE exists (it then
 *                                                                      makes PAUSE_FILE.held, no reload in
 *                                                                      flight)
 * </pre>
 *
 * <p>The set: {@code scale-clients} ({@code 127.0.0.0/8}, approved: the load generator and the idle clients
 * call from there), then {@link GeneratedEndpoints} of four prefixes each, every one pointing at
 * {@code RESOURCE}. A reload changes every endpoint, or with {@code -Dscale.changed=K} the first K: two
 * versions of the file that differ in those endpoints' description are rendered up front by the gateway's own writer ({@link EndpointsFile#write}) and
 * alternate. Each reload copies the next version beside the file, then renames it over the file; the time is
 * from that rename until {@code gateway_store_revision} on {@code /metrics} (set once the new snapshot is in
 * force) moves, polled every 5 ms (100 ms in a storm, where scrapes would share the CPU with the traffic).
 * It includes the gateway's wait for its next look at the file (its watcher polls every 250 ms, then waits
 * 20 ms for the file to hold still): what an operator waits, not the apply alone. A rejected reload
 * ({@code gateway_config_reloads_total{result="rejected"}} moves) stops the run.
 */
public final class ReloadDriver {
    private static final long POLL_MILLIS = 5;
    /** In a storm, scrapes are spaced more widely: they share the gateway's CPU with the traffic measured. */
    private static final long STORM_POLL_MILLIS = Long.getLong("scale.stormPollMillis", 100);
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(120);

    private ReloadDriver() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "write" -> EndpointsFile.write(Path.of(args[1]), set(Integer.parseInt(args[2]), args[3], "v0"));
            case "reload" -> run("reload", args, Integer.parseInt(args[5]), 0);
            case "storm" -> run("storm", args, Integer.MAX_VALUE, TimeUnit.SECONDS.toNanos(Long.parseLong(args[5])));
            default -> throw new IllegalArgumentException("command: " + args[0] + " (expected write, reload, storm)");
        }
    }

    /** {@code endpoints} endpoints: the clients' one, then generated ones. */
    static List<SharedPrivateEndpoint> set(int endpoints, String resource, String description) {
        final List<SharedPrivateEndpoint> set = new ArrayList<>(endpoints);
        set.add(new SharedPrivateEndpoint("scale-clients", "sites", resource, "", EndpointStatus.APPROVED,
                description, List.of(IpPrefix.parse("127.0.0.0/8")), null));
        set.addAll(GeneratedEndpoints.of(4 * (endpoints - 1), 7, List.of(resource), description));
        return set;
    }

    private static void run(String kind, String[] args, int repeats, long durationNanos) throws Exception {
        final GatewayProcess gateway = new GatewayProcess(Integer.parseInt(args[1]));
        final Path file = Path.of(args[2]).toAbsolutePath();
        final int endpoints = Integer.parseInt(args[3]);
        final String resource = args[4];
        final Path csv = Path.of(args[6]);
        final Path stop = args.length > 7 ? Path.of(args[7]) : null;
        final Path pause = args.length > 8 ? Path.of(args[8]) : null;
        final Path held = pause == null ? null : pause.resolveSibling(pause.getFileName() + ".held");
        final Path[] versions = {file.resolveSibling(file.getFileName() + ".a"),
            file.resolveSibling(file.getFileName() + ".b")};
        final Path next = file.resolveSibling(file.getFileName() + ".next");
        // -Dscale.changed=K: the two versions differ in the first K endpoints only (an approval is one).
        final int changed = Integer.getInteger("scale.changed", Integer.MAX_VALUE);
        // a is the set `write` put in the file at start: the first reload is then the change asked for.
        final List<SharedPrivateEndpoint> a = set(endpoints, resource, "v0");
        final List<SharedPrivateEndpoint> b = new ArrayList<>(a);
        for (int i = 0; i < Math.min(changed, b.size()); i++) {
            b.set(i, b.get(i).withStatus(b.get(i).status(), "vb"));
        }
        EndpointsFile.write(versions[0], a);
        EndpointsFile.write(versions[1], b);
        final long size = Files.size(versions[0]);

        // Start with the version the file does not hold already (a run before may have left either).
        final int first = Files.exists(file) && Files.mismatch(file, versions[0]) == -1 ? 1 : 0;
        final List<Double> millis = new ArrayList<>();
        final long end = System.nanoTime() + durationNanos;
        for (int i = 0; i < repeats; i++) {
            if (durationNanos > 0 && (System.nanoTime() >= end || stop != null && Files.exists(stop))) {
                break;
            }
            if (durationNanos == 0 && i > 0) {
                Thread.sleep(2000);
            }
            if (pause != null && Files.exists(pause)) {
                Files.writeString(held, "");
                while (Files.exists(pause) && !(stop != null && Files.exists(stop))) {
                    Thread.sleep(20);
                }
                Files.deleteIfExists(held);
                i--;
                continue;
            }
            Files.copy(versions[(first + i) % 2], next, StandardCopyOption.REPLACE_EXISTING);
            final String before = gateway.scrape();
            final long revision = GatewayProcess.sum(before, "gateway_store_revision");
            final long rejected = GatewayProcess.sum(before, "gateway_config_reloads_total", "result=\"rejected\"");
            final long t0 = System.nanoTime();
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            while (true) {
                final String now = gateway.scrape();
                if (GatewayProcess.sum(now, "gateway_store_revision") != revision) {
                    break;
                }
                if (GatewayProcess.sum(now, "gateway_config_reloads_total", "result=\"rejected\"") != rejected) {
                    throw new IllegalStateException("the gateway rejected reload " + i + ": see its log");
                }
                if (System.nanoTime() - t0 > TIMEOUT_NANOS) {
                    throw new IllegalStateException("reload " + i + " not in force after 120 s");
                }
                Thread.sleep(durationNanos == 0 ? POLL_MILLIS : STORM_POLL_MILLIS);
            }
            final double ms = (System.nanoTime() - t0) / 1e6;
            millis.add(ms);
            Files.writeString(csv, String.format(Locale.ROOT, "%s,%d,%d,%.1f%n", kind, endpoints, i, ms),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            if (durationNanos == 0) {
                System.out.printf(Locale.ROOT, "%s: %,d endpoints (%.1f MB file), #%d in force after %.0f ms%n",
                        kind, endpoints, size / 1e6, i + 1, ms);
            }
        }
        final List<Double> sorted = new ArrayList<>(millis);
        sorted.sort(null);
        final int n = sorted.size();
        final double median = n == 0 ? Double.NaN
                : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        System.out.printf(Locale.ROOT, "RESULT %s endpoints=%d reloads=%d median_ms=%.0f max_ms=%.0f changed=%s%n",
                kind, endpoints, n, median, n == 0 ? Double.NaN : sorted.get(n - 1),
                changed >= endpoints ? "all" : String.valueOf(changed));
        for (Path p : versions) {
            Files.deleteIfExists(p);
        }
    }
}
