package dev.privateupstream.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PrefixTableTest {

    @Test
    void emptyTableFindsNothing() {
        final PrefixTable<String> empty = PrefixTable.empty();
        assertThat(empty.size()).isZero();
        assertThat(empty.lookup(IpAddress.parse("10.0.0.4"))).isNull();
        assertThat(empty.lookup(IpAddress.parse("fd00::4"))).isNull();
        assertThat(empty.lookupV4(0)).isNull();
        assertThat(empty.lookupV4(-1)).isNull();
        assertThat(empty.lookupV6(0, 0)).isNull();
        assertThat(empty.lookupV6(-1, -1)).isNull();
        assertThat(PrefixTable.<String>builder().build().lookup(IpAddress.parse("::"))).isNull();
    }

    @Test
    void nestedPrefixesTakeTheLongest() {
        final PrefixTable<String> table = table("10.0.0.0/8", "10.1.0.0/16", "10.1.0.0/24", "10.1.0.4/32",
                                                "10.1.0.0/28", "fd00::/8", "fd00:1::/32", "fd00:1::4/128");
        assertThat(table.size()).isEqualTo(8);
        assertThat(lookup(table, "10.1.0.4")).isEqualTo("10.1.0.4/32");
        assertThat(lookup(table, "10.1.0.5")).isEqualTo("10.1.0.0/28");
        assertThat(lookup(table, "10.1.0.16")).isEqualTo("10.1.0.0/24");
        assertThat(lookup(table, "10.1.1.0")).isEqualTo("10.1.0.0/16");
        assertThat(lookup(table, "10.2.0.0")).isEqualTo("10.0.0.0/8");
        assertThat(lookup(table, "11.0.0.0")).isNull();
        assertThat(lookup(table, "9.255.255.255")).isNull();
        assertThat(lookup(table, "fd00:1::4")).isEqualTo("fd00:1::4/128");
        assertThat(lookup(table, "fd00:1::5")).isEqualTo("fd00:1::/32");
        assertThat(lookup(table, "fd00:2::")).isEqualTo("fd00::/8");
        assertThat(lookup(table, "fe00::")).isNull();
        assertThat(lookup(table, "::ffff:10.1.0.4")).isEqualTo("10.1.0.4/32");
    }

    @Test
    void defaultRoutesStayInTheirFamily() {
        final PrefixTable<String> table = table("0.0.0.0/0", "::/0", "10.0.0.0/8", "2001:db8::/32");
        assertThat(lookup(table, "1.2.3.4")).isEqualTo("0.0.0.0/0");
        assertThat(lookup(table, "255.255.255.255")).isEqualTo("0.0.0.0/0");
        assertThat(lookup(table, "10.9.9.9")).isEqualTo("10.0.0.0/8");
        assertThat(lookup(table, "::")).isEqualTo("::/0");
        assertThat(lookup(table, "ffff::")).isEqualTo("::/0");
        assertThat(lookup(table, "2001:db8::1")).isEqualTo("2001:db8::/32");

        final PrefixTable<String> v4Only = table("0.0.0.0/0");
        assertThat(lookup(v4Only, "8.8.8.8")).isEqualTo("0.0.0.0/0");
        assertThat(lookup(v4Only, "::1")).isNull();
        final PrefixTable<String> v6Only = table("::/0");
        assertThat(lookup(v6Only, "::1")).isEqualTo("::/0");
        assertThat(lookup(v6Only, "8.8.8.8")).isNull();
    }

    @Test
    void mappedBitsAreLookedUpAsIpv4() {
        final PrefixTable<String> table = table("10.0.0.0/8", "::/0");
        assertThat(table.lookupV6(0, 0x0000ffff0a000004L)).isEqualTo("10.0.0.0/8");
        assertThat(table.lookupV6(0, 0x0000ffff0b000004L)).isNull();
        assertThat(table.lookupV6(0, 0x0000fffe0a000004L)).isEqualTo("::/0");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({ "10.1.0.0/28, ::ffff:10.1.0.0/124", "fd00::/8, FD00:0::/8", "1.2.3.4, 1.2.3.4/32" })
    void duplicatePrefixIsRejected(String first, String again) {
        final PrefixTable.Builder<String> builder = PrefixTable.<String>builder()
                                                               .add(IpPrefix.parse("10.0.0.0/8"), "outer")
                                                               .add(IpPrefix.parse(first), "first");
        final IpPrefix duplicate = IpPrefix.parse(again);
        assertThatThrownBy(() -> builder.add(duplicate, "again"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("duplicate prefix: " + duplicate.canonical());
        // The failed add changed nothing.
        final PrefixTable<String> table = builder.build();
        assertThat(table.size()).isEqualTo(2);
        assertThat(table.lookup(duplicate.network())).isEqualTo("first");
    }

    @Test
    void addingAnInternalNodeIsNotADuplicate() {
        // 10.0.0.0/15 exists only as the branch between the two /16s until it is added.
        final PrefixTable<String> table = table("10.0.0.0/16", "10.1.0.0/16", "10.0.0.0/15");
        assertThat(lookup(table, "10.1.2.3")).isEqualTo("10.1.0.0/16");
        assertThat(lookup(table, "10.0.2.3")).isEqualTo("10.0.0.0/16");
        assertThat(table("10.0.0.0/16", "10.1.0.0/16").lookup(IpAddress.parse("10.2.0.0"))).isNull();
    }

    @Test
    void rejectsNulls() {
        final PrefixTable.Builder<String> builder = PrefixTable.builder();
        assertThatThrownBy(() -> builder.add(null, "x")).isInstanceOf(NullPointerException.class).hasMessage("prefix");
        assertThatThrownBy(() -> builder.add(IpPrefix.parse("10.0.0.0/8"), null))
                .isInstanceOf(NullPointerException.class).hasMessage("value");
        assertThatThrownBy(() -> builder.build().lookup(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void builtTablesAreUnaffectedByLaterAdds() {
        final PrefixTable.Builder<String> builder = PrefixTable.<String>builder().add(IpPrefix.parse("10.0.0.0/8"), "a");
        final PrefixTable<String> first = builder.build();
        builder.add(IpPrefix.parse("10.1.0.0/16"), "b");
        final PrefixTable<String> second = builder.build();
        assertThat(first.size()).isEqualTo(1);
        assertThat(first.lookup(IpAddress.parse("10.1.0.1"))).isEqualTo("a");
        assertThat(second.size()).isEqualTo(2);
        assertThat(second.lookup(IpAddress.parse("10.1.0.1"))).isEqualTo("b");
    }

    /**
     * Tables of several sizes, so that the root stride (which grows with the table) is both shorter
     * and longer than many of the prefixes.
     */
    @ParameterizedTest(name = "seed {0}, {1} prefixes")
    @CsvSource({ "1, 1", "2, 3", "3, 10", "4, 100", "5, 1000", "6, 5000", "7, 20000" })
    void randomIpv4MatchesBruteForce(long seed, int count) {
        final Random random = new Random(seed);
        final Map<IpPrefix, Integer> prefixes = new LinkedHashMap<>();
        final List<IpPrefix> list = new ArrayList<>();
        while (prefixes.size() < count) {
            final int length = randomLength(random, 32);
            // A third derive from a recent prefix, so nested and sibling prefixes are common.
            final int bits = list.isEmpty() || random.nextInt(3) != 0 ? random.nextInt()
                                                                      : randomV4Near(random, pick(random, list));
            put(prefixes, list, v4Prefix(bits, length));
        }
        final PrefixTable<Integer> table = build(prefixes);
        for (int i = 0; i < 5000; i++) {
            final int bits = random.nextInt(4) == 0 ? random.nextInt()
                                                    : randomV4Near(random, list.get(random.nextInt(list.size())));
            final IpAddress address = IpAddress.ofV4(bits);
            final Integer expected = bruteForce(prefixes, address);
            assertThat(table.lookupV4(bits)).as("seed %d, %d prefixes, address %s", seed, count, address)
                                            .isEqualTo(expected);
            assertThat(table.lookup(address)).as("seed %d, address %s", seed, address).isEqualTo(expected);
            assertThat(table.lookupV6(0, 0x0000ffff00000000L | bits & 0xffffffffL))
                    .as("seed %d, mapped %s", seed, address).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "seed {0}, {1} prefixes")
    @CsvSource({ "11, 1", "12, 3", "13, 10", "14, 100", "15, 1000", "16, 5000", "17, 20000" })
    void randomIpv6MatchesBruteForce(long seed, int count) {
        final Random random = new Random(seed);
        final Map<IpPrefix, Integer> prefixes = new LinkedHashMap<>();
        final List<IpPrefix> list = new ArrayList<>();
        while (prefixes.size() < count) {
            final int length = randomLength(random, 128);
            final long[] bits = list.isEmpty() || random.nextInt(3) != 0 ? randomV6(random)
                                                                         : randomV6Near(random, pick(random, list));
            put(prefixes, list, v6Prefix(bits[0], bits[1], length));
        }
        final PrefixTable<Integer> table = build(prefixes);
        for (int i = 0; i < 5000; i++) {
            final long[] bits = random.nextInt(4) == 0 ? randomV6(random)
                                                       : randomV6Near(random, list.get(random.nextInt(list.size())));
            final IpAddress address = IpAddress.ofV6(bits[0], bits[1]);
            final Integer expected = bruteForce(prefixes, address);
            assertThat(table.lookupV6(bits[0], bits[1])).as("seed %d, %d prefixes, address %s", seed, count, address)
                                                        .isEqualTo(expected);
            assertThat(table.lookup(address)).as("seed %d, address %s", seed, address).isEqualTo(expected);
        }
    }

    @Test
    void randomMixedFamiliesMatchBruteForce() {
        final long seed = 21L;
        final Random random = new Random(seed);
        final Map<IpPrefix, Integer> prefixes = new LinkedHashMap<>();
        while (prefixes.size() < 4000) {
            final IpPrefix prefix;
            if (random.nextBoolean()) {
                prefix = v4Prefix(random.nextInt(), randomLength(random, 32));
            } else {
                final long[] bits = randomV6(random);
                prefix = v6Prefix(bits[0], bits[1], randomLength(random, 128));
            }
            prefixes.putIfAbsent(prefix, prefixes.size());
        }
        final PrefixTable<Integer> table = build(prefixes);
        final List<IpPrefix> list = new ArrayList<>(prefixes.keySet());
        for (int i = 0; i < 10_000; i++) {
            final IpPrefix near = list.get(random.nextInt(list.size()));
            final IpAddress address;
            if (near.isV4()) {
                address = IpAddress.ofV4(randomV4Near(random, near));
            } else {
                final long[] bits = randomV6Near(random, near);
                address = IpAddress.ofV6(bits[0], bits[1]);
            }
            assertThat(table.lookup(address)).as("seed %d, address %s", seed, address)
                                             .isEqualTo(bruteForce(prefixes, address));
        }
    }

    @Test
    void eachPrefixHasItsOwnSlotWhichHoldsItsValue() {
        final Random random = new Random(33L);
        final Map<IpPrefix, Integer> prefixes = new LinkedHashMap<>();
        while (prefixes.size() < 2000) {
            final long[] bits = randomV6(random);
            prefixes.putIfAbsent(random.nextBoolean() ? v4Prefix(random.nextInt(), randomLength(random, 32))
                    : v6Prefix(bits[0], bits[1], randomLength(random, 128)), prefixes.size());
        }
        final PrefixTable<Integer> table = build(prefixes);
        final Map<Integer, Integer> slotOfValue = new HashMap<>();
        for (Map.Entry<IpPrefix, Integer> e : prefixes.entrySet()) {
            final int slot = table.slotOf(e.getKey().network());
            assertThat(slot).as("%s", e.getKey()).isBetween(0, table.slots() - 1);
            // The network address's longest match may be a longer prefix at the same address.
            final Integer value = table.valueAt(slot);
            assertThat(value).isEqualTo(table.lookup(e.getKey().network()));
            slotOfValue.put(value, slot);
        }
        // Distinct values, distinct slots.
        assertThat(new HashSet<>(slotOfValue.values())).hasSameSizeAs(slotOfValue.keySet());
        assertThat(table.valueAt(-1)).isNull();
        assertThat(PrefixTable.<Integer>builder().build().slotOf(IpAddress.parse("10.0.0.1"))).isEqualTo(-1);
    }

    @Test
    void hundredThousandPrefixesBuildAndAnswer() {
        final long seed = 100_000L;
        final Random random = new Random(seed);
        final Map<IpPrefix, Integer> v4 = new LinkedHashMap<>();
        while (v4.size() < 100_000) {
            // Mostly /16 to /32, as private endpoint ranges are, with some short ones.
            final int length = random.nextInt(10) == 0 ? random.nextInt(33) : 16 + random.nextInt(17);
            v4.putIfAbsent(v4Prefix(random.nextInt(), length), v4.size());
        }
        final Map<IpPrefix, Integer> v6 = new LinkedHashMap<>();
        while (v6.size() < 100_000) {
            final long[] bits = randomV6(random);
            final int length = random.nextInt(10) == 0 ? random.nextInt(129) : 32 + random.nextInt(97);
            v6.putIfAbsent(v6Prefix(bits[0], bits[1], length), -1 - v6.size());
        }
        final Map<IpPrefix, Integer> all = new LinkedHashMap<>(v4);
        all.putAll(v6);
        final PrefixTable<Integer> table = build(all);
        assertThat(table.size()).isEqualTo(200_000);

        final PerLengthReference reference = new PerLengthReference(all);
        final List<IpPrefix> v4List = new ArrayList<>(v4.keySet());
        final List<IpPrefix> v6List = new ArrayList<>(v6.keySet());
        for (int i = 0; i < 100_000; i++) {
            final int bits = random.nextBoolean() ? random.nextInt()
                                                  : randomV4Near(random, v4List.get(random.nextInt(v4List.size())));
            final IpAddress address = IpAddress.ofV4(bits);
            assertThat(table.lookupV4(bits)).as("seed %d, address %s", seed, address)
                                            .isEqualTo(reference.lookup(address));

            final long[] v6Bits = random.nextBoolean() ? randomV6(random)
                                                       : randomV6Near(random, v6List.get(random.nextInt(v6List.size())));
            final IpAddress v6Address = IpAddress.ofV6(v6Bits[0], v6Bits[1]);
            assertThat(table.lookupV6(v6Bits[0], v6Bits[1])).as("seed %d, address %s", seed, v6Address)
                                                            .isEqualTo(reference.lookup(v6Address));
        }
        // Every prefix finds itself through its network address and its last address.
        for (Map.Entry<IpPrefix, Integer> e : v4.entrySet()) {
            final IpPrefix prefix = e.getKey();
            final int network = prefix.network().v4Bits();
            assertThat(table.lookupV4(network)).as("seed %d, %s", seed, prefix)
                                               .isEqualTo(reference.lookup(prefix.network()));
            final int last = network | ~IpPrefix.mask32(prefix.length());
            assertThat(table.lookupV4(last)).as("seed %d, %s", seed, prefix)
                                            .isEqualTo(reference.lookup(IpAddress.ofV4(last)));
        }
    }

    /**
     * Allow lists cluster in 10/8 and fd00::/8, so root slots there hold large subtrees and are expanded
     * into second-level blocks; lookups through those blocks must agree with the reference, nested
     * prefixes shorter than the root stride included.
     */
    @ParameterizedTest(name = "seed {0}, {1} prefixes")
    @CsvSource({ "31, 40", "32, 1000", "33, 30000" })
    void clusteredPrefixesMatchReference(long seed, int count) {
        final Random random = new Random(seed);
        final Map<IpPrefix, Integer> prefixes = new LinkedHashMap<>();
        prefixes.put(v4Prefix(0x0a000000, 8), -1);
        prefixes.put(v6Prefix(0xfd00000000000000L, 0, 8), -2);
        while (prefixes.size() < count) {
            if (random.nextBoolean()) {
                final int length = 9 + random.nextInt(24);
                prefixes.putIfAbsent(v4Prefix(0x0a000000 | random.nextInt() & 0x00ffffff, length), prefixes.size());
            } else {
                final int length = 9 + random.nextInt(120);
                prefixes.putIfAbsent(v6Prefix(0xfd00000000000000L | random.nextLong() >>> 8, random.nextLong(), length),
                        prefixes.size());
            }
        }
        final PrefixTable<Integer> table = build(prefixes);
        final PerLengthReference reference = new PerLengthReference(prefixes);
        final List<IpPrefix> list = new ArrayList<>(prefixes.keySet());
        for (int i = 0; i < 20_000; i++) {
            final IpPrefix near = list.get(random.nextInt(list.size()));
            final IpAddress address;
            if (near.isV4()) {
                address = IpAddress.ofV4(random.nextInt(3) == 0 ? 0x0a000000 | random.nextInt() & 0x00ffffff
                        : randomV4Near(random, near));
            } else {
                final long[] bits = random.nextInt(3) == 0
                        ? new long[] {0xfd00000000000000L | random.nextLong() >>> 8, random.nextLong()}
                        : randomV6Near(random, near);
                address = IpAddress.ofV6(bits[0], bits[1]);
            }
            assertThat(table.lookup(address)).as("seed %d, %d prefixes, address %s", seed, count, address)
                                             .isEqualTo(reference.lookup(address));
        }
        for (IpPrefix prefix : list) {
            assertThat(table.lookup(prefix.network())).as("seed %d, %s", seed, prefix)
                                                      .isEqualTo(reference.lookup(prefix.network()));
        }
    }

    // Brute-force references

    /** Scans every prefix and keeps the longest that contains the address. */
    private static Integer bruteForce(Map<IpPrefix, Integer> prefixes, IpAddress address) {
        IpPrefix best = null;
        for (IpPrefix prefix : prefixes.keySet()) {
            if (prefix.contains(address) && (best == null || prefix.length() > best.length())) {
                best = prefix;
            }
        }
        return best == null ? null : prefixes.get(best);
    }

    /** Tries each length from the longest down in a hash map: exact, and fast enough for 100,000 lookups. */
    private static final class PerLengthReference {
        private final Map<IpPrefix, Integer> prefixes;

        PerLengthReference(Map<IpPrefix, Integer> prefixes) {
            this.prefixes = new HashMap<>(prefixes);
        }

        Integer lookup(IpAddress address) {
            for (int length = address.bitLength(); length >= 0; length--) {
                final Integer value = prefixes.get(mask(address, length));
                if (value != null) {
                    return value;
                }
            }
            return null;
        }

        private static IpPrefix mask(IpAddress address, int length) {
            if (address.isV4()) {
                return v4Prefix(address.v4Bits(), length);
            }
            return v6Prefix(address.high(), address.low(), length);
        }
    }

    // Random prefixes and addresses

    /** Lengths spread over the whole range, with extra weight on the host prefix and on /0. */
    private static int randomLength(Random random, int max) {
        switch (random.nextInt(20)) {
            case 0:
                return max;
            case 1:
                return random.nextInt(3);
            default:
                return random.nextInt(max + 1);
        }
    }

    /** One of the last few prefixes, so that nesting builds up into deep chains. */
    private static IpPrefix pick(Random random, List<IpPrefix> prefixes) {
        final int recent = Math.min(8, prefixes.size());
        return prefixes.get(prefixes.size() - 1 - random.nextInt(recent));
    }

    /** Adds the prefix with the next value unless it is there already. */
    private static void put(Map<IpPrefix, Integer> prefixes, List<IpPrefix> order, IpPrefix prefix) {
        if (prefixes.putIfAbsent(prefix, prefixes.size()) == null) {
            order.add(prefix);
        }
    }

    /** An address in the prefix with random host bits. */
    private static int randomV4Near(Random random, IpPrefix prefix) {
        final int mask = IpPrefix.mask32(prefix.length());
        return prefix.network().v4Bits() & mask | random.nextInt() & ~mask;
    }

    private static long[] randomV6(Random random) {
        long high = random.nextLong();
        if (random.nextInt(8) == 0) {
            high = 0xfd00000000000000L | high >>> 8; // Cluster some under fd00::/8.
        }
        return nonMapped(high, random.nextLong());
    }

    private static long[] randomV6Near(Random random, IpPrefix prefix) {
        final int length = prefix.length();
        final long maskHigh = IpPrefix.maskHigh(length);
        final long maskLow = IpPrefix.maskLow(length);
        return nonMapped(prefix.network().high() & maskHigh | random.nextLong() & ~maskHigh,
                         prefix.network().low() & maskLow | random.nextLong() & ~maskLow);
    }

    /** Keeps generated IPv6 bits out of ::ffff:0:0/96, which would turn into IPv4. */
    private static long[] nonMapped(long high, long low) {
        if (IpAddress.isMapped(high, low)) {
            return new long[] { high, low ^ 1L << 33 };
        }
        return new long[] { high, low };
    }

    private static IpPrefix v4Prefix(int bits, int length) {
        return IpPrefix.of(IpAddress.ofV4(bits & IpPrefix.mask32(length)), length);
    }

    private static IpPrefix v6Prefix(long high, long low, int length) {
        return IpPrefix.of(IpAddress.ofV6(high & IpPrefix.maskHigh(length), low & IpPrefix.maskLow(length)),
                           length);
    }

    @ParameterizedTest(name = "seed {0}, {1} prefixes")
    @CsvSource({ "21, 1", "22, 50", "23, 5000" })
    void addingAllInAddressOrderBuildsTheSameTable(long seed, int count) {
        final Random random = new Random(seed);
        final Map<IpPrefix, Integer> prefixes = new LinkedHashMap<>();
        while (prefixes.size() < count) {
            final IpPrefix prefix = random.nextBoolean() ? v4Prefix(random.nextInt(), randomLength(random, 32))
                    : v6Prefix(random.nextLong(), random.nextLong(), randomLength(random, 128));
            prefixes.putIfAbsent(prefix, prefixes.size());
        }
        final PrefixTable<Integer> oneByOne = build(prefixes);
        final PrefixTable<Integer> all = PrefixTable.<Integer>builder()
                .addAll(new ArrayList<>(prefixes.keySet()), new ArrayList<>(prefixes.values())).build();
        assertThat(all.size()).isEqualTo(oneByOne.size());
        assertThat(all.slots()).isEqualTo(oneByOne.slots());
        for (int slot = 0; slot < all.slots(); slot++) {
            assertThat(all.valueAt(slot)).as("slot %d", slot).isEqualTo(oneByOne.valueAt(slot));
        }
        for (int i = 0; i < 5000; i++) {
            final IpAddress address = random.nextBoolean() ? IpAddress.ofV4(random.nextInt())
                    : IpAddress.ofV6(random.nextLong(), random.nextLong());
            assertThat(all.lookup(address)).as("%s", address).isEqualTo(oneByOne.lookup(address));
        }
        for (IpPrefix prefix : prefixes.keySet()) {
            assertThat(all.lookup(prefix.network())).isEqualTo(oneByOne.lookup(prefix.network()));
        }
    }

    @Test
    void addingAllRefusesARepeatedPrefix() {
        final List<IpPrefix> twice = List.of(IpPrefix.parse("10.0.0.0/8"), IpPrefix.parse("fd00::/8"),
                IpPrefix.parse("10.0.0.0/8"));
        assertThatThrownBy(() -> PrefixTable.<Integer>builder().addAll(twice, List.of(1, 2, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("duplicate prefix: 10.0.0.0/8");
        assertThatThrownBy(() -> PrefixTable.<Integer>builder().addAll(twice, List.of(1, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("3 prefixes for 2 values");
    }

    private static PrefixTable<Integer> build(Map<IpPrefix, Integer> prefixes) {
        final PrefixTable.Builder<Integer> builder = PrefixTable.builder();
        prefixes.forEach(builder::add);
        return builder.build();
    }

    private static PrefixTable<String> table(String... prefixes) {
        final PrefixTable.Builder<String> builder = PrefixTable.builder();
        for (String prefix : prefixes) {
            builder.add(IpPrefix.parse(prefix), prefix);
        }
        return builder.build();
    }

    private static String lookup(PrefixTable<String> table, String address) {
        return table.lookup(IpAddress.parse(address));
    }
}
