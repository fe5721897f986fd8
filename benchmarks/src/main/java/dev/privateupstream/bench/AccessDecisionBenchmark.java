package dev.privateupstream.bench;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.policy.CallFacts;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.PolicySnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole access decision of SPEC §5, {@link PolicySnapshot#decide(CallFacts)}, on a snapshot compiled by
 * the real compile path: 10, 1,000 or 100,000 prefixes by default, any number with {@code -p prefixes=N}
 * (issue 18 takes 1,000,000), four per endpoint, 80 % IPv4, 20 % IPv6; one endpoint in ten pending, one in
 * twenty rejected ({@link GeneratedEndpoints}), spread over three upstreams, two of them routed by Host.
 * {@code gateway.yaml} goes through the loader; the endpoints are checked by the loader's rules but not
 * written as YAML, which cannot hold a million prefixes in one document.
 *
 * <p>The caller is an IPv4 or IPv6 address of an approved endpoint, whose call is allowed after the
 * prefix lookup and routing, or a public address, refused {@code public-network} after a lookup miss.
 * {@link #decide} passes prepared facts for 1,024 callers in turn, so at 100,000 prefixes most of the
 * table, rule and decision loads miss the CPU caches; {@link #decideSameCaller} decides for one caller
 * over and over, as a gateway behind a few SignalR instances does; {@link #decideWithNewFacts} builds the
 * {@link CallFacts} record per call from header values, as the handler does when its per-connection cache
 * misses, to show whether that record survives escape analysis.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class AccessDecisionBenchmark {
    private static final int PROBES = 1024;
    private static final String[] UPSTREAMS = {"func-a", "func-b", "func-c"};
    /** The Host of a call to each upstream; func-c takes any Host. */
    private static final String[] HOSTS = {"func-a.example", "func-b.example:443", "gateway.example"};

    @Param({"10", "1000", "100000"})
    int prefixes;

    @Param({"v4", "v6", "public"})
    String caller;

    private PolicySnapshot snapshot;
    private final CallFacts[] facts = new CallFacts[PROBES];
    private final IpAddress[] callers = new IpAddress[PROBES];
    private final String[] hosts = new String[PROBES];
    private int next;

    @Setup
    public void setUp() {
        final RandomPrefixes random = new RandomPrefixes(7);
        final List<String> resources = new ArrayList<>();
        for (String upstream : UPSTREAMS) {
            resources.add(BenchmarkConfig.resource(upstream));
        }
        final List<SharedPrivateEndpoint> endpoints = GeneratedEndpoints.of(prefixes, 7, resources, "");
        final List<SharedPrivateEndpoint> approved = new ArrayList<>();
        for (SharedPrivateEndpoint e : endpoints) {
            if (e.status() == EndpointStatus.APPROVED) {
                approved.add(e);
            }
        }
        snapshot = PolicySnapshot.of(
                GeneratedEndpoints.configure(BenchmarkConfig.load(BenchmarkConfig.threeUpstreams()), endpoints), 1);

        final boolean wantV4 = caller.equals("v4");
        int tries = 0;
        for (int i = 0; i < PROBES; i++) {
            if (++tries > 1_000_000) {
                throw new IllegalStateException("no allowed " + caller + " caller found in " + tries + " draws");
            }
            IpAddress address;
            String host;
            if (caller.equals("public")) {
                address = IpAddress.ofV4(0xcb007100 | random.nextInt(256)); // 203.0.113.0/24
                host = HOSTS[random.nextInt(3)];
            } else {
                final SharedPrivateEndpoint endpoint = approved.get(random.nextInt(approved.size()));
                final IpPrefix prefix = endpoint.privateIps().get(random.nextInt(endpoint.privateIps().size()));
                if (prefix.isV4() != wantV4) {
                    i--;
                    continue;
                }
                address = random.inside(prefix);
                host = HOSTS[resources.indexOf(endpoint.privateLinkResourceId())];
            }
            final CallFacts call = new CallFacts(address, null, host, "chat", "messages", "broadcast");
            final Decision decision = snapshot.decide(call);
            if (caller.equals("public")) {
                if (!(decision instanceof Decision.Deny d) || d.reason() != DenyReason.PUBLIC_NETWORK) {
                    throw new IllegalStateException(address + ": " + decision + " (expected public-network)");
                }
            } else if (!decision.allowed()) {
                // A longer prefix of another endpoint (pending, rejected, or of another upstream) holds the
                // address: frequent at a million prefixes, where prefixes nest. Draw another caller, so that
                // every probe takes the path it is named for.
                i--;
                continue;
            }
            callers[i] = address;
            hosts[i] = host;
            facts[i] = call;
        }
    }

    @Benchmark
    public Decision decide() {
        return snapshot.decide(facts[next++ & (PROBES - 1)]);
    }

    /**
     * The same caller every time, as on a gateway whose calls come from a few shared private endpoints
     * (one per SignalR instance): the table's path and the rule are in cache, as in steady traffic.
     */
    @Benchmark
    public Decision decideSameCaller() {
        return snapshot.decide(facts[0]);
    }

    @Benchmark
    public Decision decideWithNewFacts() {
        final int i = next++ & (PROBES - 1);
        return snapshot.decide(new CallFacts(callers[i], null, hosts[i], "chat", "messages", "broadcast"));
    }
}
