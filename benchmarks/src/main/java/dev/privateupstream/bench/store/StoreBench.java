package dev.privateupstream.bench.store;

import dev.privateupstream.GatewayServer;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.EndpointsFile;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.store.EndpointResource;
import dev.privateupstream.store.EndpointStore;
import dev.privateupstream.store.etcd.EtcdClient;
import dev.privateupstream.store.etcd.EtcdClientSettings;
import dev.privateupstream.store.etcd.Op;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The store's numbers (issue 16), on real gateways in this process against a real etcd cluster on
 * loopback that {@code benchmarks/store-bench.sh} starts:
 *
 * <ul>
 *   <li>{@code convergence URLS N}: N approvals made on one replica, each timed until it is in force on
 *       another (the second replica's snapshot read in a tight loop);</li>
 *   <li>{@code scale URLS SIZES}: for each size and each store (file, etcd), the time of one admin write
 *       (a new endpoint through the admin API, answered once stored and in force), of one whole reload
 *       (what a changed file or an etcd resync costs: read, validate, compile), and, with etcd, of one
 *       change seen on the other replica.</li>
 * </ul>
 */
public final class StoreBench {
    private static final String RESOURCE = "/subscriptions/0/resourceGroups/b/providers/Microsoft.Web/sites/b";
    private static final String TOKEN = "bench-token";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private StoreBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("convergence")) {
            convergence(urls(args[1]), Integer.parseInt(args[2]));
        } else if (args.length == 3 && args[0].equals("scale")) {
            scale(urls(args[1]), Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray());
        } else {
            System.err.println("usage: StoreBench convergence ETCD_URLS N | scale ETCD_URLS SIZE[,SIZE...]");
            System.exit(2);
        }
        System.exit(0);
    }

    private static void convergence(List<URI> etcd, int approvals) throws Exception {
        final Path dir = Files.createTempDirectory("store-bench-");
        final String prefix = "/bench-" + System.nanoTime() + "/";
        try (GatewayServer a = start(dir.resolve("a"), etcdStore(etcd, prefix, "a"));
                GatewayServer b = start(dir.resolve("b"), etcdStore(etcd, prefix, "b"))) {
            final long[] fromRequest = new long[approvals];
            final long[] fromAnswer = new long[approvals];
            for (int i = 0; i < approvals; i++) {
                final String name = "e" + i;
                send(a, "PUT", name, body("10.3." + (i / 250) + "." + (i % 250 + 1)), 201);
                awaitStatus(b, name, EndpointStatus.PENDING);
                final long sent = System.nanoTime();
                send(a, "POST", name + "/approve", "", 200);
                final long answered = System.nanoTime();
                awaitStatus(b, name, EndpointStatus.APPROVED);
                final long inForce = System.nanoTime();
                fromRequest[i] = inForce - sent;
                fromAnswer[i] = Math.max(0, inForce - answered);
            }
            System.out.printf("convergence over %d approvals (replica a -> replica b, 3-member etcd on loopback)%n",
                    approvals);
            System.out.printf("  from the approve request sent: median %.1f ms, p90 %.1f ms, max %.1f ms%n",
                    ms(percentile(fromRequest, 50)), ms(percentile(fromRequest, 90)), ms(max(fromRequest)));
            System.out.printf("  from its answer (committed, in force on a): median %.1f ms, p90 %.1f ms, "
                    + "max %.1f ms%n", ms(percentile(fromAnswer, 50)), ms(percentile(fromAnswer, 90)),
                    ms(max(fromAnswer)));
        }
    }

    private static void scale(List<URI> etcd, int[] sizes) throws Exception {
        System.out.println("| store | endpoints | start (whole first load) | one admin write, median (max of 20) "
                + "| one whole reload, median of 5 | one change on the other replica, median (max of 20) |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (int n : sizes) {
            scaleFile(n);
            scaleEtcd(etcd, n);
        }
    }

    private static void scaleFile(int n) throws Exception {
        final Path dir = Files.createTempDirectory("store-bench-file-");
        final List<SharedPrivateEndpoint> endpoints = endpoints(n);
        EndpointsFile.write(dir.resolve("endpoints.yaml"), endpoints);
        final long t0 = System.nanoTime();
        try (GatewayServer gateway = start(dir, "  file: endpoints.yaml\n")) {
            final long started = System.nanoTime() - t0;
            final long[] writes = writes(gateway, null, 20);
            final ConfigLoader loader = new ConfigLoader(Map.of());
            final GatewayConfig config = gateway.policy().get().config();
            final long[] reloads = new long[5];
            for (int i = 0; i < reloads.length; i++) {
                final long s = System.nanoTime();
                PolicySnapshot.of(loader.reloadEndpoints(config), 2);
                reloads[i] = System.nanoTime() - s;
            }
            row("file", n, started, writes, reloads, null);
        }
    }

    private static void scaleEtcd(List<URI> etcd, int n) throws Exception {
        final Path dir = Files.createTempDirectory("store-bench-etcd-");
        final String prefix = "/bench-" + System.nanoTime() + "/";
        seed(etcd, prefix, endpoints(n));
        final long t0 = System.nanoTime();
        try (GatewayServer a = start(dir.resolve("a"), etcdStore(etcd, prefix, "a"))) {
            final long started = System.nanoTime() - t0;
            try (GatewayServer b = start(dir.resolve("b"), etcdStore(etcd, prefix, "b"))) {
                final long[] seen = new long[20];
                final long[] writes = writes(a, b, seen.length, seen);
                final ConfigLoader loader = new ConfigLoader(Map.of());
                final GatewayConfig config = a.policy().get().config();
                final long[] reloads = new long[5];
                try (EndpointStore store = EndpointStore.open(config, loader)) {
                    for (int i = 0; i < reloads.length; i++) {
                        final long s = System.nanoTime();
                        PolicySnapshot.of(config.withEndpoints(store.read(config.upstreams()).endpoints()), 2);
                        reloads[i] = System.nanoTime() - s;
                    }
                }
                row("etcd", n, started, writes, reloads, seen);
            }
        }
    }

    private static long[] writes(GatewayServer gateway, GatewayServer other, int count) throws Exception {
        return writes(gateway, other, count, null);
    }

    /** {@code count} new endpoints through the admin API; with {@code other}, each awaited there too. */
    private static long[] writes(GatewayServer gateway, GatewayServer other, int count, long[] seen)
            throws Exception {
        final long[] times = new long[count];
        for (int i = 0; i < count; i++) {
            final String name = "new-" + System.nanoTime();
            final long s = System.nanoTime();
            send(gateway, "PUT", name, body("10.250." + i + ".1"), 201);
            final long answered = System.nanoTime();
            times[i] = answered - s;
            if (other != null) {
                awaitStatus(other, name, EndpointStatus.PENDING);
                seen[i] = System.nanoTime() - answered;
            }
        }
        return times;
    }

    private static void row(String store, int n, long started, long[] writes, long[] reloads, long[] seen) {
        System.out.printf("| %s | %,d | %.0f ms | %.1f ms (%.1f) | %.0f ms | %s |%n", store, n, ms(started),
                ms(percentile(writes, 50)), ms(max(writes)), ms(percentile(reloads, 50)),
                seen == null ? "n/a" : String.format("%.1f ms (%.1f)", ms(percentile(seen, 50)), ms(max(seen))));
    }

    /** Writes the endpoints into etcd in transactions of 500 puts (the cluster's txn limit allows it). */
    private static void seed(List<URI> etcd, String prefix, List<SharedPrivateEndpoint> endpoints) throws Exception {
        try (EtcdClient client = EtcdClient.create(new EtcdClientSettings(etcd, null, null, null, null, null,
                Duration.ofSeconds(30)))) {
            for (int from = 0; from < endpoints.size(); from += 500) {
                final List<Op> ops = new ArrayList<>();
                for (SharedPrivateEndpoint e : endpoints.subList(from, Math.min(endpoints.size(), from + 500))) {
                    ops.add(new Op.Put((prefix + "endpoints/" + e.name()).getBytes(StandardCharsets.UTF_8),
                            EndpointResource.bytes(e), 0));
                }
                client.txn(List.of(), ops, List.of()).get(60, TimeUnit.SECONDS);
            }
        }
    }

    /** {@code n} approved endpoints of one /32 each, in 10.0.0.0/9. */
    private static List<SharedPrivateEndpoint> endpoints(int n) {
        final List<SharedPrivateEndpoint> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            final String ip = "10." + (i >> 16) + "." + ((i >> 8) & 0xFF) + "." + (i & 0xFF);
            list.add(new SharedPrivateEndpoint("spe-" + i, "sites", RESOURCE, "", EndpointStatus.APPROVED, "",
                    List.of(IpPrefix.parse(ip)), null));
        }
        return list;
    }

    private static String etcdStore(List<URI> etcd, String prefix, String id) {
        final StringBuilder urls = new StringBuilder();
        for (URI u : etcd) {
            urls.append(urls.length() == 0 ? "" : ", ").append('"').append(u).append('"');
        }
        return "  etcd:\n    endpoints: [ " + urls + " ]\n    prefix: " + prefix + "\n    replicaId: " + id + "\n";
    }

    private static GatewayServer start(Path dir, String store) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("gateway.yaml"), "listen:\n  address: 127.0.0.1\n  port: 0\n"
                + "admin:\n  address: 127.0.0.1\n  port: 0\n  token: " + TOKEN + "\n"
                + "upstreams:\n  - name: b\n    resourceId: " + RESOURCE + "\n    url: http://127.0.0.1:9\n"
                + "sharedPrivateEndpoints:\n" + store);
        final ConfigLoader loader = new ConfigLoader(Map.of());
        return GatewayServer.start(loader.load(dir.resolve("gateway.yaml")), loader, new GatewayMetrics(), 1);
    }

    private static void send(GatewayServer gateway, String method, String path, String json, int expected)
            throws Exception {
        final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + gateway.adminAddress().getPort() + "/api/shared-private-endpoints/" + path))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + ": " + response.statusCode() + " " + response.body());
        }
    }

    private static void awaitStatus(GatewayServer gateway, String name, EndpointStatus status) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            final List<SharedPrivateEndpoint> endpoints = gateway.policy().get().config().endpoints();
            // The newest endpoints are last in key order only by chance: scan from the end, then all.
            for (int i = endpoints.size() - 1; i >= 0; i--) {
                final SharedPrivateEndpoint e = endpoints.get(i);
                if (e.name().equals(name) && e.status() == status) {
                    return;
                }
            }
            Thread.onSpinWait();
        }
        throw new IllegalStateException(name + " did not become " + status + " within 10 s");
    }

    private static String body(String ip) {
        return "{\"properties\":{\"groupId\":\"sites\",\"privateLinkResourceId\":\"" + RESOURCE
                + "\",\"privateIps\":[\"" + ip + "\"]}}";
    }

    private static List<URI> urls(String text) {
        final List<URI> list = new ArrayList<>();
        for (String u : text.split(",")) {
            list.add(URI.create(u.trim()));
        }
        return list;
    }

    private static long percentile(long[] values, int p) {
        final long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static long max(long[] values) {
        return Arrays.stream(values).max().orElse(0);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
