package dev.privateupstream.bench;

import dev.privateupstream.bench.RandomPrefixes.Family;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.net.PrefixTable;
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
 * Longest-prefix lookups in {@link PrefixTable} at 10, 1,000 and 100,000 prefixes, IPv4, IPv6 or both
 * mixed, for addresses that are in some prefix ({@link #hit}) and addresses that are in none
 * ({@link #miss}, drawn from the same ranges, so the walk goes as deep as a real miss does).
 *
 * <p>Each invocation looks up the next of 4,096 pre-drawn addresses in random order, so the table is
 * walked along different paths, as it is under real traffic, rather than along one cached path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class PrefixTableBenchmark {
    private static final int PROBES = 4096;

    @Param({"10", "1000", "100000"})
    int prefixes;

    @Param({"v4", "v6", "mixed"})
    String family;

    private PrefixTable<IpPrefix> table;
    private final IpAddress[] hits = new IpAddress[PROBES];
    private final IpAddress[] misses = new IpAddress[PROBES];
    private int next;

    @Setup
    public void setUp() {
        final RandomPrefixes random = new RandomPrefixes(42);
        final Family f = Family.parse(family);
        final List<IpPrefix> all = random.prefixes(prefixes, f);
        final PrefixTable.Builder<IpPrefix> builder = PrefixTable.builder();
        all.forEach(p -> builder.add(p, p));
        table = builder.build();
        for (int i = 0; i < PROBES; i++) {
            hits[i] = random.inside(all.get(random.nextInt(all.size())));
            if (table.lookup(hits[i]) == null) {
                throw new IllegalStateException("not a hit: " + hits[i]);
            }
            IpAddress miss;
            do {
                final boolean v4 = f == Family.V4 || f == Family.MIXED && i % 2 == 0;
                miss = random.address(v4);
            } while (table.lookup(miss) != null);
            misses[i] = miss;
        }
    }

    @Benchmark
    public IpPrefix hit() {
        return table.lookup(hits[next++ & (PROBES - 1)]);
    }

    @Benchmark
    public IpPrefix miss() {
        return table.lookup(misses[next++ & (PROBES - 1)]);
    }
}
