package dev.privateupstream.bench;

import dev.privateupstream.bench.BenchmarkConfig.Endpoint;
import dev.privateupstream.bench.RandomPrefixes.Family;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.policy.CallFacts;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.PolicySnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
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
 * The whole access decision of SPEC §5, {@link PolicySnapshot#decide(CallFacts)}, on a configuration loaded
 * through the real loader: 10, 1,000 or 100,000 prefixes (four per endpoint, 80 % IPv4, 20 % IPv6; one
 * endpoint in ten pending, one in twenty rejected), spread over three upstreams, two of them routed by
 * Host.
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
    private int allowedMisses;

    @Setup
    public void setUp() {
        final RandomPrefixes random = new RandomPrefixes(7);
        final List<IpPrefix> v4 = random.prefixes(prefixes - prefixes / 5, Family.V4);
        final List<IpPrefix> v6 = random.prefixes(prefixes / 5, Family.V6);
        final List<IpPrefix> all = new ArrayList<>(v4);
        all.addAll(v6);
        // Interleave the families, four prefixes per endpoint.
        Collections.shuffle(all, new Random(7));
        final List<Endpoint> endpoints = new ArrayList<>();
        final List<Endpoint> approved = new ArrayList<>();
        for (int i = 0, n = 0; i < all.size(); i += 4, n++) {
            final List<String> ips = new ArrayList<>();
            for (IpPrefix p : all.subList(i, Math.min(i + 4, all.size()))) {
                ips.add(p.canonical());
            }
            final String status = n % 10 == 9 ? "Pending" : n % 20 == 4 ? "Rejected" : "Approved";
            final Endpoint e = new Endpoint("spe-" + n, UPSTREAMS[n % 3], status, ips);
            endpoints.add(e);
            if (status.equals("Approved")) {
                approved.add(e);
            }
        }
        snapshot = PolicySnapshot.of(BenchmarkConfig.load(
                "listen:\n  address: 127.0.0.1\n  port: 0\n"
                        + "upstreams:\n"
                        + BenchmarkConfig.upstream("func-a", "http://127.0.0.1:7071", "func-a.example")
                        + BenchmarkConfig.upstream("func-b", "http://127.0.0.1:7072", "func-b.example")
                        + BenchmarkConfig.upstream("func-c", "http://127.0.0.1:7073")
                        + "sharedPrivateEndpoints:\n  file: endpoints.yaml\n", endpoints), 1);

        final boolean wantV4 = caller.equals("v4");
        for (int i = 0; i < PROBES; i++) {
            IpAddress address;
            String host;
            if (caller.equals("public")) {
                address = IpAddress.ofV4(0xcb007100 | random.nextInt(256)); // 203.0.113.0/24
                host = HOSTS[random.nextInt(3)];
            } else {
                IpPrefix prefix;
                Endpoint endpoint;
                int tries = 0;
                do {
                    if (++tries > 1_000_000) {
                        throw new IllegalStateException("no approved " + caller + " prefix");
                    }
                    endpoint = approved.get(random.nextInt(approved.size()));
                    prefix = IpPrefix.parse(endpoint.privateIps().get(random.nextInt(endpoint.privateIps().size())));
                } while (prefix.isV4() != wantV4);
                address = random.inside(prefix);
                host = HOSTS[List.of(UPSTREAMS).indexOf(endpoint.upstream())];
            }
            callers[i] = address;
            hosts[i] = host;
            facts[i] = new CallFacts(address, null, host, "chat", "messages", "broadcast");
            check(snapshot.decide(facts[i]), address);
        }
    }

    /** The probes must take the path they are named for. */
    private void check(Decision decision, IpAddress address) {
        if (caller.equals("public")) {
            if (!(decision instanceof Decision.Deny d) || d.reason() != DenyReason.PUBLIC_NETWORK) {
                throw new IllegalStateException(address + ": " + decision + " (expected public-network)");
            }
        } else if (!decision.allowed()) {
            // A longer prefix of a pending or rejected endpoint may hold the address: rare, and a fair
            // probe too, as long as most are allowed.
            allowedMisses++;
            if (allowedMisses > PROBES / 20) {
                throw new IllegalStateException("too many probes refused, last " + address + ": " + decision);
            }
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
