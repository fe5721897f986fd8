package dev.privateupstream.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.AdminConfig;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.LimitsConfig;
import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A snapshot built by {@link PolicySnapshot#withChanged} decides exactly as one compiled whole from the same
 * configuration, for random sets of nested IPv4 and IPv6 prefixes, link ids, statuses and routes, through
 * long random sequences of approvals, rejections and new endpoints.
 */
class PolicySnapshotOverlayTest {
    private static final String FUNC_A = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/func-a";
    private static final String FUNC_B = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/func-b";
    private static final List<UpstreamConfig> UPSTREAMS = List.of(
            new UpstreamConfig("a", FUNC_A, URI.create("http://127.0.0.1:1"), List.of("a.example"), null, null, null,
                    4),
            new UpstreamConfig("b", FUNC_B, URI.create("http://127.0.0.1:1"), List.of(), null, null, null, 4));
    private static final String[] HOSTS = {"a.example", "b.example", null};

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void decidesAsAWholeCompileThroughRandomChanges(long seed) {
        final Random random = new Random(seed);
        final Set<String> prefixes = new HashSet<>();
        final Set<Long> linkIds = new HashSet<>();
        final List<SharedPrivateEndpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            endpoints.add(randomEndpoint("e" + i, random, prefixes, linkIds));
        }
        PolicySnapshot incremental = PolicySnapshot.of(config(endpoints), 1);
        for (int step = 0; step < 300; step++) {
            final List<SharedPrivateEndpoint> changed = new ArrayList<>();
            final int n = 1 + random.nextInt(3);
            for (int k = 0; k < n; k++) {
                if (random.nextInt(4) == 0) {
                    final SharedPrivateEndpoint created = randomEndpoint("new" + step + "-" + k, random, prefixes,
                            linkIds);
                    endpoints.add(created);
                    changed.add(created);
                } else {
                    final int index = random.nextInt(endpoints.size());
                    final SharedPrivateEndpoint updated = endpoints.get(index).withStatus(randomStatus(random),
                            "step " + step);
                    endpoints.set(index, updated);
                    changed.add(updated);
                }
            }
            final GatewayConfig next = config(endpoints);
            incremental = incremental.withChanged(next, step + 2, changed);
            final PolicySnapshot whole = PolicySnapshot.of(next, step + 2);
            assertSameDecisions(incremental, whole, endpoints, random);
        }
    }

    @Test
    void aChangeOfPrefixesOrTooManyChangesCompileWhole() {
        final List<SharedPrivateEndpoint> endpoints = new ArrayList<>(List.of(endpoint("a", "10.0.0.0/24", null)));
        final PolicySnapshot first = PolicySnapshot.of(config(endpoints), 1);

        final SharedPrivateEndpoint approved = endpoints.get(0).withStatus(EndpointStatus.APPROVED, null);
        final PolicySnapshot second = first.withChanged(config(List.of(approved)), 2, List.of(approved));
        assertThat(second.overlaySize()).isEqualTo(1);
        assertThat(second.endpoint("a").status()).isEqualTo(EndpointStatus.APPROVED);

        final SharedPrivateEndpoint moved = endpoint("a", "10.0.1.0/24", null);
        final PolicySnapshot third = second.withChanged(config(List.of(moved)), 3, List.of(moved));
        assertThat(third.overlaySize()).isZero();
        assertThat(third.decide(facts("10.0.0.1", null, null)).allowed()).isFalse();

        PolicySnapshot growing = third;
        final List<SharedPrivateEndpoint> many = new ArrayList<>(List.of(moved));
        for (int i = 0; i <= PolicySnapshot.MAX_OVERLAY; i++) {
            final SharedPrivateEndpoint added = endpoint("n" + i, "10.9." + (i / 256) + "." + (i % 256), null);
            many.add(added);
            growing = growing.withChanged(config(many), 4 + i, List.of(added));
        }
        assertThat(growing.overlaySize()).isZero();
        assertThat(growing.decide(facts("10.9.0.7", null, null)).endpoint().name()).isEqualTo("n7");
    }

    private static void assertSameDecisions(PolicySnapshot incremental, PolicySnapshot whole,
            List<SharedPrivateEndpoint> endpoints, Random random) {
        for (int probe = 0; probe < 200; probe++) {
            final IpAddress caller;
            if (random.nextBoolean()) {
                // An address inside some endpoint's prefix, so the nested matches are exercised.
                final SharedPrivateEndpoint e = endpoints.get(random.nextInt(endpoints.size()));
                caller = e.privateIps().isEmpty() ? randomAddress(random)
                        : inside(e.privateIps().get(random.nextInt(e.privateIps().size())), random);
            } else {
                caller = randomAddress(random);
            }
            LinkId linkId = null;
            if (random.nextInt(3) == 0) {
                final SharedPrivateEndpoint e = endpoints.get(random.nextInt(endpoints.size()));
                linkId = e.linkId() != null ? e.linkId() : new LinkId(random.nextInt(1000));
            }
            final CallFacts facts = new CallFacts(caller, linkId, HOSTS[random.nextInt(HOSTS.length)], null, null,
                    null);
            assertThat(describe(incremental.decide(facts))).as("%s", facts).isEqualTo(describe(whole.decide(facts)));
            assertThat(incremental.canEverAllow(caller)).isEqualTo(whole.canEverAllow(caller));
        }
        for (SharedPrivateEndpoint e : endpoints) {
            assertThat(incremental.endpoint(e.name())).isEqualTo(e);
        }
        assertThat(incremental.endpointCounts()).isEqualTo(whole.endpointCounts());
    }

    private static String describe(Decision d) {
        final String reason = d instanceof Decision.Deny deny ? deny.reason().wireText() : "allow";
        return reason + " endpoint=" + (d.endpoint() == null ? null : d.endpoint().name() + "/" + d.endpoint().status())
                + " prefix=" + (d.rule() == null ? null : d.rule().prefix())
                + " route=" + (d.route() == null ? null : d.route().name());
    }

    private static SharedPrivateEndpoint randomEndpoint(String name, Random random, Set<String> prefixes,
            Set<Long> linkIds) {
        final List<IpPrefix> ips = new ArrayList<>();
        final int count = random.nextInt(3);
        for (int i = 0; i < count; i++) {
            final IpPrefix prefix = randomPrefix(random);
            if (prefixes.add(prefix.canonical())) {
                ips.add(prefix);
            }
        }
        LinkId linkId = null;
        if (ips.isEmpty() || random.nextInt(5) == 0) {
            long id;
            do {
                id = random.nextInt(1000);
            } while (!linkIds.add(id));
            linkId = new LinkId(id);
        }
        return new SharedPrivateEndpoint(name, "sites", random.nextBoolean() ? FUNC_A : FUNC_B, "",
                randomStatus(random), "", ips, linkId);
    }

    /** Prefixes that nest often: a few short ones over 10/8 and fd00::/8, and longer ones inside them. */
    private static IpPrefix randomPrefix(Random random) {
        if (random.nextInt(4) == 0) {
            final int length = 16 + random.nextInt(113);
            final IpAddress address = IpAddress.parse("fd00:" + Integer.toHexString(random.nextInt(4)) + "::"
                    + Integer.toHexString(random.nextInt(65536)));
            final int l = Math.min(length, 128);
            final long high = l >= 64 ? address.high() : address.high() & (l == 0 ? 0 : -1L << (64 - l));
            final long low = l <= 64 ? 0 : address.low() & (l == 128 ? -1L : -1L << (128 - l));
            return IpPrefix.of(IpAddress.ofV6(high, low), l);
        }
        final int length = 8 + random.nextInt(25);
        final IpAddress address = IpAddress.parse("10." + random.nextInt(4) + "." + random.nextInt(256) + "."
                + random.nextInt(256));
        return IpPrefix.of(IpAddress.ofV4(address.v4Bits() & (length == 32 ? -1 : ~(-1 >>> length))), length);
    }

    private static IpAddress randomAddress(Random random) {
        return random.nextInt(4) == 0
                ? IpAddress.parse("fd00:" + Integer.toHexString(random.nextInt(4)) + "::" + Integer.toHexString(random.nextInt(65536)))
                : IpAddress.parse("10." + random.nextInt(4) + "." + random.nextInt(256) + "." + random.nextInt(256));
    }

    private static IpAddress inside(IpPrefix prefix, Random random) {
        for (int attempt = 0; attempt < 50; attempt++) {
            final IpAddress candidate = randomAddress(random);
            if (prefix.contains(candidate)) {
                return candidate;
            }
        }
        return prefix.network();
    }

    private static EndpointStatus randomStatus(Random random) {
        final EndpointStatus[] all = EndpointStatus.values();
        return random.nextInt(2) == 0 ? EndpointStatus.APPROVED : all[random.nextInt(all.length)];
    }

    private static SharedPrivateEndpoint endpoint(String name, String prefix, Long linkId) {
        return new SharedPrivateEndpoint(name, "sites", FUNC_A, "", EndpointStatus.PENDING, "",
                List.of(IpPrefix.parse(prefix)), linkId == null ? null : new LinkId(linkId));
    }

    private static CallFacts facts(String caller, Long linkId, String host) {
        return new CallFacts(IpAddress.parse(caller), linkId == null ? null : new LinkId(linkId), host, null, null,
                null);
    }

    private static GatewayConfig config(List<SharedPrivateEndpoint> endpoints) {
        return new GatewayConfig(Path.of("/tmp/gateway.yaml"),
                new ListenConfig("127.0.0.1", 0, null, ListenConfig.ProxyProtocolMode.DISABLED, List.of(),
                        ListenConfig.ForwardedHeader.NONE, false),
                LimitsConfig.DEFAULTS, new AdminConfig("127.0.0.1", 0, null), null, UPSTREAMS,
                Path.of("/tmp/endpoints.yaml"), null, List.copyOf(endpoints));
    }
}
