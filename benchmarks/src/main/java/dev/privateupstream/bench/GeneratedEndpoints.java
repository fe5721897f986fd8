package dev.privateupstream.bench;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.bench.RandomPrefixes.Family;
import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * Endpoint sets of any size shaped like the decision benchmark's: four prefixes per endpoint, 80 % IPv4
 * and 20 % IPv6 ({@link RandomPrefixes}), one endpoint in ten pending, one in twenty rejected, the rest
 * approved, spread over the given upstreams in turn.
 *
 * <p>Built as records rather than read from an endpoints file because one YAML document may hold at most
 * 64 Mi code points (SnakeYAML's limit, which the loader keeps), and 1,000,000 prefixes need more. Each
 * endpoint gets strings of its own, as a parser's output does, so memory figures are not flattered by
 * sharing. {@link #configure} checks them with the loader's own rules ({@link ConfigLoader#validateEndpoints})
 * before they reach the real compile path, {@code PolicySnapshot.of}.
 */
public final class GeneratedEndpoints {
    private GeneratedEndpoints() {
    }

    /**
     * About {@code prefixes} prefixes (exactly, when it is a multiple of four) as endpoints named
     * {@code spe-N}, each pointing at {@code resourceIds[N % resourceIds.length]}.
     *
     * @param description every endpoint's description (a reload benchmark changes it to change them all)
     */
    public static List<SharedPrivateEndpoint> of(int prefixes, long seed, List<String> resourceIds,
            String description) {
        requireNonNull(resourceIds, "resourceIds");
        final List<IpPrefix> all = shuffledPrefixes(prefixes, seed);
        final List<SharedPrivateEndpoint> endpoints = new ArrayList<>(all.size() / 4 + 1);
        for (int i = 0, n = 0; i < all.size(); i += 4, n++) {
            final EndpointStatus status = n % 10 == 9 ? EndpointStatus.PENDING
                    : n % 20 == 4 ? EndpointStatus.REJECTED : EndpointStatus.APPROVED;
            endpoints.add(new SharedPrivateEndpoint("spe-" + n, new String("sites"),
                    new String(resourceIds.get(n % resourceIds.size())), "", status, new String(description),
                    all.subList(i, Math.min(i + 4, all.size())), null));
        }
        return endpoints;
    }

    /** {@code prefixes} distinct prefixes, 80 % IPv4, the families interleaved. */
    static List<IpPrefix> shuffledPrefixes(int prefixes, long seed) {
        final RandomPrefixes random = new RandomPrefixes(seed);
        final List<IpPrefix> all = new ArrayList<>(prefixes);
        all.addAll(random.prefixes(prefixes - prefixes / 5, Family.V4));
        all.addAll(random.prefixes(prefixes / 5, Family.V6));
        Collections.shuffle(all, new Random(seed));
        return all;
    }

    /**
     * {@code config} (loaded with an empty endpoints file) with these endpoints, once the loader's rules
     * for an endpoints file found nothing wrong with them.
     */
    public static GatewayConfig configure(GatewayConfig config, List<SharedPrivateEndpoint> endpoints) {
        final List<ConfigError> errors = ConfigLoader.validateEndpoints(endpoints, config.upstreams(),
                config.file().resolveSibling("endpoints.yaml"));
        if (!errors.isEmpty()) {
            throw new IllegalStateException("generated endpoints rejected: " + errors.stream().limit(5)
                    .map(ConfigError::toString).collect(Collectors.joining("; ")));
        }
        return config.withEndpoints(endpoints);
    }
}
