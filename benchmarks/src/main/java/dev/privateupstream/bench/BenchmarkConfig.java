package dev.privateupstream.bench;

import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The configurations the benchmarks run on. They are written as YAML and read by the real
 * {@link ConfigLoader}, so they pass the validation an operator's files pass, and the benchmarks do not
 * depend on the shape of the configuration records.
 */
final class BenchmarkConfig {
    /** The resource id of upstream {@code name}. */
    static String resource(String name) {
        return "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench/providers/Microsoft.Web/sites/"
                + name;
    }

    /** One entry of the endpoints file. */
    record Endpoint(String name, String upstream, String status, List<String> privateIps) {
    }

    private BenchmarkConfig() {
    }

    /** Loads {@code gatewayYaml} (which must name {@code endpoints.yaml}) with an empty endpoints file. */
    static GatewayConfig load(String gatewayYaml) {
        return load(gatewayYaml, List.of());
    }

    /**
     * Loads {@code gatewayYaml} (which must name {@code endpoints.yaml}) with these endpoints, from a
     * temporary folder that is deleted afterwards.
     */
    static GatewayConfig load(String gatewayYaml, List<Endpoint> endpoints) {
        try {
            final Path dir = Files.createTempDirectory("gateway-bench");
            try {
                Files.writeString(dir.resolve("gateway.yaml"), gatewayYaml);
                final StringBuilder yaml = new StringBuilder(64 * endpoints.size() + 16 * countIps(endpoints));
                for (Endpoint e : endpoints) {
                    yaml.append("- name: ").append(e.name()).append("\n  groupId: sites\n  privateLinkResourceId: ")
                            .append(resource(e.upstream())).append("\n  status: ").append(e.status())
                            .append("\n  privateIps:\n");
                    for (String ip : e.privateIps()) {
                        yaml.append("    - ").append(ip).append('\n');
                    }
                }
                Files.writeString(dir.resolve("endpoints.yaml"), endpoints.isEmpty() ? "[]\n" : yaml);
                return new ConfigLoader(Map.of()).load(dir.resolve("gateway.yaml"));
            } finally {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ConfigException e) {
            throw new IllegalStateException("benchmark configuration rejected: " + e.getMessage(), e);
        }
    }

    private static int countIps(List<Endpoint> endpoints) {
        int n = 0;
        for (Endpoint e : endpoints) {
            n += e.privateIps().size();
        }
        return n;
    }

    /**
     * The decision benchmark's {@code gateway.yaml}: upstreams {@code func-a} and {@code func-b} routed by
     * Host ({@code func-a.example}, {@code func-b.example}), {@code func-c} for any other Host.
     */
    static String threeUpstreams() {
        return "listen:\n  address: 127.0.0.1\n  port: 0\n"
                + "upstreams:\n"
                + upstream("func-a", "http://127.0.0.1:7071", "func-a.example")
                + upstream("func-b", "http://127.0.0.1:7072", "func-b.example")
                + upstream("func-c", "http://127.0.0.1:7073")
                + "sharedPrivateEndpoints:\n  file: endpoints.yaml\n";
    }

    /** One upstream entry for {@code gateway.yaml}, {@code hosts} empty for any Host. */
    static String upstream(String name, String url, String... hosts) {
        return "  - name: " + name + "\n    resourceId: " + resource(name) + "\n    url: " + url + "\n"
                + (hosts.length == 0 ? "" : "    hosts: [ " + String.join(", ", hosts) + " ]\n");
    }

    /**
     * The allow list of {@code tools/peer-bench/gen-cidrs.sh}: 1,000 RFC 1918 prefixes of mixed lengths,
     * then {@code 127.0.0.0/8} last.
     */
    static List<String> peerBenchPrefixes() {
        final List<String> prefixes = new ArrayList<>(1001);
        for (int i = 0; i < 500; i++) {
            prefixes.add("10." + i / 256 + "." + i % 256 + ".0/24");
        }
        for (int i = 0; i < 200; i++) {
            prefixes.add("172." + (16 + i % 16) + "." + (i / 16) * 16 + ".0/20");
        }
        for (int i = 0; i < 200; i++) {
            prefixes.add("192.168." + i + ".128/25");
        }
        for (int i = 0; i < 50; i++) {
            prefixes.add("10." + (200 + i / 25) + "." + i % 25 + ".16/28");
        }
        for (int i = 0; i < 50; i++) {
            prefixes.add("10.250." + i / 10 + "." + (1 + i % 10) + "/32");
        }
        prefixes.add("127.0.0.0/8");
        return prefixes;
    }
}
