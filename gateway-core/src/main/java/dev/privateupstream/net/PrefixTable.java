package dev.privateupstream.net;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable longest-prefix-match table from IPv4 and IPv6 prefixes to values.
 *
 * <p>Lookups allocate nothing and take no locks; they cost a walk over a path-compressed binary trie,
 * so they stay fast at 100,000 prefixes.
 *
 * <p>Each family has its own trie, compiled by {@link Builder#build()} into flat primitive arrays, so a
 * lookup reads array slots instead of chasing object references. The first {@code k} address bits
 * (1 to 16, growing with the number of prefixes) index a root array that says where in the trie to
 * start and which shorter prefix already matched; this skips the top levels, where every lookup
 * would otherwise pay the same dependent loads. Allow lists cluster (most prefixes of a large one sit in
 * 10/8 or fd00::/8), so a root slot whose subtree is large is expanded by the next 8 bits into a block
 * of second-level slots of the same kind: at 100,000 clustered prefixes that halves the nodes a lookup
 * visits, and with them its cache misses. From there each visited node costs one cache line:
 * compare the node's whole key under its mask (so path compression needs no per-edge bookkeeping),
 * remember it if it carries a value, and follow the child chosen by the next bit.
 *
 * @param <V> the value stored with each prefix
 */
public final class PrefixTable<V> {

    /** Largest root stride: 2^16 root slots, 512 KiB per family, only for tables that big. */
    private static final int MAX_ROOT_BITS = 16;

    /** Stride of a second-level block: 256 slots, 2 KiB. */
    private static final int SECOND_BITS = 8;
    private static final int SECOND_MASK = (1 << SECOND_BITS) - 1;
    /**
     * A root slot is expanded when its subtree has more nodes than this, so a block costs at most
     * 2 KiB per 32 nodes (about 16 prefixes), and only where lookups would otherwise walk deep.
     */
    private static final int EXPAND_OVER_NODES = 32;

    /** Node meta: prefix length in the low 8 bits, then whether the node carries a value. */
    private static final int LENGTH_MASK = 0xff;
    private static final int HAS_VALUE = 0x100;

    private static final int NONE = -1;

    /** Network masks by prefix length, looked up instead of computed; small enough to stay in L1. */
    private static final int[] MASK_32 = new int[33];
    private static final long[] MASK_HIGH = new long[129];
    private static final long[] MASK_LOW = new long[129];

    static {
        for (int length = 0; length <= 128; length++) {
            if (length <= 32) {
                MASK_32[length] = IpPrefix.mask32(length);
            }
            MASK_HIGH[length] = IpPrefix.maskHigh(length);
            MASK_LOW[length] = IpPrefix.maskLow(length);
        }
    }

    private static final PrefixTable<Object> EMPTY = new Builder<>().build();

    // IPv4 nodes, 4 ints each: key, meta, child for bit 0, child for bit 1.
    private final int[] v4Nodes;
    private final Object[] v4Values;
    /**
     * Root slots: {@code startNode << 32 | bestNode}, indexed by the top address bits. A start below
     * {@code NONE} names a block of second-level slots instead: {@code NONE - 1 - start} is its index.
     */
    private final long[] v4Roots;
    private final int v4RootShift;
    /** Second-level slots, {@code 1 << SECOND_BITS} per expanded root slot, like root slots. */
    private final long[] v4Seconds;
    private final int v4SecondShift;

    // IPv6 nodes, 4 longs each: key high, key low, meta, children (bit 0 child << 32 | bit 1 child).
    private final long[] v6Nodes;
    private final Object[] v6Values;
    private final long[] v6Roots;
    private final int v6RootShift;
    private final long[] v6Seconds;
    private final int v6SecondShift;

    private final int size;

    private PrefixTable(Compiled v4, Compiled v6, int size) {
        v4Nodes = v4.intNodes;
        v4Values = v4.values;
        v4Roots = v4.roots;
        v4RootShift = 32 - v4.rootBits;
        v4Seconds = v4.seconds;
        v4SecondShift = 32 - v4.rootBits - SECOND_BITS;
        v6Nodes = v6.longNodes;
        v6Values = v6.values;
        v6Roots = v6.roots;
        v6RootShift = 64 - v6.rootBits;
        v6Seconds = v6.seconds;
        v6SecondShift = 64 - v6.rootBits - SECOND_BITS;
        this.size = size;
    }

    public static <V> Builder<V> builder() {
        return new Builder<>();
    }

    /** An empty table. */
    @SuppressWarnings("unchecked")
    public static <V> PrefixTable<V> empty() {
        return (PrefixTable<V>) EMPTY;
    }

    /** The value of the longest prefix containing the address, or {@code null}. */
    public V lookup(IpAddress address) {
        requireNonNull(address, "address");
        return valueAt(slotOf(address));
    }

    /**
     * The slot of the longest prefix containing the address, or {@code -1} when none does. Slots are
     * numbered from 0 to {@link #slots()}, fixed for this table: a caller that keeps its own data per
     * slot (in one flat array) reaches it straight from the lookup, without loading the value first.
     */
    public int slotOf(IpAddress address) {
        if (address.isV4()) {
            return bestV4(address.v4Bits());
        }
        final long high = address.high();
        final long low = address.low();
        if (IpAddress.isMapped(high, low)) {
            return bestV4((int) low);
        }
        final int best = bestV6(high, low);
        return best < 0 ? best : v4Values.length + best;
    }

    /** The number of slots: every slot below it is a prefix's or holds no value. */
    public int slots() {
        return v4Values.length + v6Values.length;
    }

    /** The value in {@code slot}, {@code null} for a slot without one or for {@code -1} (no match). */
    @SuppressWarnings("unchecked")
    public V valueAt(int slot) {
        if (slot < 0) {
            return null;
        }
        return (V) (slot < v4Values.length ? v4Values[slot] : v6Values[slot - v4Values.length]);
    }

    /**
     * The length of the prefix in {@code slot} (a slot {@link #slotOf} returned): lets a caller that looks an
     * address up in two tables of the same family keep the longer match.
     */
    public int lengthAt(int slot) {
        if (slot < v4Values.length) {
            return v4Nodes[(slot << 2) + 1] & LENGTH_MASK;
        }
        return (int) v6Nodes[((slot - v4Values.length) << 2) + 2] & LENGTH_MASK;
    }

    /** The value of the longest IPv4 prefix containing the address {@code bits}, or {@code null}. */
    @SuppressWarnings("unchecked")
    public V lookupV4(int bits) {
        final int best = bestV4(bits);
        return best < 0 ? null : (V) v4Values[best];
    }

    /** The node of the longest IPv4 prefix containing {@code bits}, or {@code -1}. */
    private int bestV4(int bits) {
        long root = v4Roots[bits >>> v4RootShift];
        int node = (int) (root >> 32);
        if (node < NONE) {
            root = v4Seconds[(NONE - 1 - node) << SECOND_BITS | bits >>> v4SecondShift & SECOND_MASK];
            node = (int) (root >> 32);
        }
        int best = (int) root;
        final int[] nodes = v4Nodes;
        while (node >= 0) {
            final int base = node << 2;
            final int meta = nodes[base + 1];
            final int length = meta & LENGTH_MASK;
            if (((bits ^ nodes[base]) & MASK_32[length]) != 0) {
                break;
            }
            if ((meta & HAS_VALUE) != 0) {
                best = node;
            }
            // A /32 node has no children, so the bit read for length 32 (shift wraps to 31) is moot.
            node = nodes[base + 2 + (bits >>> 31 - length & 1)];
        }
        return best;
    }

    /**
     * The value of the longest IPv6 prefix containing the address, or {@code null}. An IPv4-mapped
     * address is looked up as IPv4, as {@link IpAddress#ofV6(long, long)} would normalise it.
     */
    @SuppressWarnings("unchecked")
    public V lookupV6(long high, long low) {
        if (IpAddress.isMapped(high, low)) {
            return lookupV4((int) low);
        }
        final int best = bestV6(high, low);
        return best < 0 ? null : (V) v6Values[best];
    }

    /** The node of the longest IPv6 prefix containing the (not IPv4-mapped) address, or {@code -1}. */
    private int bestV6(long high, long low) {
        long root = v6Roots[(int) (high >>> v6RootShift)];
        int node = (int) (root >> 32);
        if (node < NONE) {
            root = v6Seconds[(NONE - 1 - node) << SECOND_BITS | (int) (high >>> v6SecondShift) & SECOND_MASK];
            node = (int) (root >> 32);
        }
        int best = (int) root;
        final long[] nodes = v6Nodes;
        while (node >= 0) {
            final int base = node << 2;
            final int meta = (int) nodes[base + 2];
            final int length = meta & LENGTH_MASK;
            if (((high ^ nodes[base]) & MASK_HIGH[length] | (low ^ nodes[base + 1]) & MASK_LOW[length]) != 0) {
                break;
            }
            if ((meta & HAS_VALUE) != 0) {
                best = node;
            }
            final long bit = length < 64 ? high >>> 63 - length : low >>> 127 - length;
            final long children = nodes[base + 3];
            node = (bit & 1) == 0 ? (int) (children >> 32) : (int) children;
        }
        return best;
    }

    /** The number of prefixes. */
    public int size() {
        return size;
    }

    @Override
    public String toString() {
        return "PrefixTable{size=" + size + ", v4Nodes=" + v4Values.length +
               ", v6Nodes=" + v6Values.length + ", blocks=" + (v4Seconds.length + v6Seconds.length >> SECOND_BITS) +
               '}';
    }

    /** Collects prefixes; {@link #build()} compiles them. Not thread-safe, never shared. */
    public static final class Builder<V> {
        /** {@link #addAll} keeps each prefix's index in a sort key's low bits: 33,554,432 prefixes at most. */
        private static final int INDEX_BITS = 25;
        private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;

        // Both families use 128-bit keys here; an IPv4 key sits in the top 32 bits of high.
        private Node v4Root;
        private Node v6Root;
        private int v4Size;
        private int v6Size;

        private Builder() {
        }

        /**
         * Adds a prefix and its value.
         *
         * @throws IllegalArgumentException if the same prefix was added before
         */
        public Builder<V> add(IpPrefix prefix, V value) {
            requireNonNull(prefix, "prefix");
            // A null value would be indistinguishable from "no match".
            requireNonNull(value, "value");
            final IpAddress network = prefix.network();
            if (network.isV4()) {
                v4Root = insert(v4Root, (long) network.v4Bits() << 32, 0, prefix.length(), value, prefix);
                v4Size++;
            } else {
                v6Root = insert(v6Root, network.high(), network.low(), prefix.length(), value, prefix);
                v6Size++;
            }
            return this;
        }

        /**
         * Adds {@code prefixes.get(i)} with {@code values.get(i)} for every {@code i}, in the order of their
         * addresses rather than the order given: each insert then walks much of the path the one before it
         * walked, still in the cache, instead of a random one through a trie of a million nodes (compiling
         * 1,000,000 prefixes, most of it these inserts).
         *
         * @throws IllegalArgumentException if a prefix was added before or is given twice; the prefixes before
         *                                  it in address order stay added
         */
        public Builder<V> addAll(List<IpPrefix> prefixes, List<? extends V> values) {
            if (prefixes.size() != values.size()) {
                throw new IllegalArgumentException(prefixes.size() + " prefixes for " + values.size() + " values");
            }
            if (prefixes.size() > INDEX_MASK + 1) {
                for (int i = 0; i < prefixes.size(); i++) {
                    add(prefixes.get(i), values.get(i));
                }
                return this;
            }
            final long[] order = new long[prefixes.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = sortKey(prefixes.get(i)) | i;
            }
            Arrays.sort(order);
            for (long key : order) {
                final int i = (int) (key & INDEX_MASK);
                add(prefixes.get(i), values.get(i));
            }
            return this;
        }

        /**
         * Where a prefix goes in {@link #addAll}'s order, above the index's bits: its family, then the first
         * bits of its address (an IPv4 prefix's 32 and its length, an IPv6 prefix's first 36). Only an order
         * for the cache: prefixes that share these bits go in the order given.
         */
        private static long sortKey(IpPrefix prefix) {
            final IpAddress network = prefix.network();
            final long top = network.isV4()
                    ? (network.v4Bits() & 0xFFFF_FFFFL) << 5 | Math.min(prefix.length(), 31)
                    : 1L << 37 | network.high() >>> 28;
            return top << INDEX_BITS;
        }

        /** Compiles the prefixes added so far; the builder may go on to build a larger table. */
        public PrefixTable<V> build() {
            return new PrefixTable<>(Compiled.of(v4Root, v4Size, false),
                                     Compiled.of(v6Root, v6Size, true),
                                     v4Size + v6Size);
        }

        /**
         * Inserts into the subtree at {@code node} and returns its new root. Mutates only after the
         * recursive call returns, so a duplicate leaves the builder as it was.
         */
        private static Node insert(Node node, long high, long low, int length, Object value,
                                   IpPrefix prefix) {
            if (node == null) {
                return new Node(high, low, length, value);
            }
            final int common = Math.min(Math.min(length, node.length),
                                        commonPrefixLength(high, low, node.high, node.low));
            if (common < node.length) {
                // The new prefix is an ancestor of node, or they part at bit 'common'.
                final Node parent;
                if (common == length) {
                    parent = new Node(high, low, length, value);
                } else {
                    parent = new Node(high & MASK_HIGH[common], low & MASK_LOW[common], common, null);
                    parent.setChild(bit(high, low, common), new Node(high, low, length, value));
                }
                parent.setChild(bit(node.high, node.low, common), node);
                return parent;
            }
            if (length == node.length) {
                if (node.value != null) {
                    throw new IllegalArgumentException("duplicate prefix: " + prefix);
                }
                node.value = value;
                return node;
            }
            final int bit = bit(high, low, node.length);
            node.setChild(bit, insert(node.child(bit), high, low, length, value, prefix));
            return node;
        }
    }

    private static int commonPrefixLength(long high1, long low1, long high2, long low2) {
        if (high1 != high2) {
            return Long.numberOfLeadingZeros(high1 ^ high2);
        }
        return 64 + Long.numberOfLeadingZeros(low1 ^ low2); // 128 when equal
    }

    /** Bit {@code index} (0 is the most significant) of a 128-bit key. */
    private static int bit(long high, long low, int index) {
        return (int) (index < 64 ? high >>> 63 - index : low >>> 127 - index) & 1;
    }

    /** A builder trie node: a path-compressed prefix with the full key, masked to its length. */
    private static final class Node {
        final long high;
        final long low;
        final int length;
        Object value;
        Node zero;
        Node one;
        /** Index in the compiled arrays, assigned by each {@link Compiled#of}. */
        int id;
        /** Nodes in the subtree rooted here, this one included; set by each {@link Compiled#of}. */
        int subtreeNodes;

        Node(long high, long low, int length, Object value) {
            this.high = high;
            this.low = low;
            this.length = length;
            this.value = value;
        }

        Node child(int bit) {
            return bit == 0 ? zero : one;
        }

        void setChild(int bit, Node child) {
            if (bit == 0) {
                zero = child;
            } else {
                one = child;
            }
        }
    }

    /** One family's trie in flat arrays; a value holder that lives only during {@link Builder#build()}. */
    private static final class Compiled {
        final int[] intNodes;
        final long[] longNodes;
        final Object[] values;
        final long[] roots;
        final int rootBits;
        final long[] seconds;

        private Compiled(int[] intNodes, long[] longNodes, Object[] values, long[] roots, int rootBits,
                         long[] seconds) {
            this.intNodes = intNodes;
            this.longNodes = longNodes;
            this.values = values;
            this.roots = roots;
            this.rootBits = rootBits;
            this.seconds = seconds;
        }

        static Compiled of(Node root, int prefixes, boolean v6) {
            final int nodeCount = count(root);
            final Object[] values = new Object[nodeCount];
            final int[] intNodes = v6 ? new int[0] : new int[nodeCount * 4];
            final long[] longNodes = v6 ? new long[nodeCount * 4] : new long[0];
            final int emitted = emit(root, 0, intNodes, longNodes, values, v6);
            assert emitted == nodeCount;

            // About one root slot per prefix: enough to skip most of the shared top levels without
            // a big array for a small table.
            final int rootBits = Math.max(1, Math.min(MAX_ROOT_BITS, 32 - Integer.numberOfLeadingZeros(prefixes)));
            final long[] roots = new long[1 << rootBits];
            final List<Node> starts = new ArrayList<>();
            int blocks = 0;
            for (int index = 0; index < roots.length; index++) {
                roots[index] = rootSlot(root, (long) index << 64 - rootBits, rootBits, starts);
                final Node start = starts.isEmpty() ? null : starts.get(0);
                starts.clear();
                if (start != null && start.subtreeNodes > EXPAND_OVER_NODES) {
                    roots[index] = (long) (NONE - 1 - blocks) << 32 | roots[index] & 0xffffffffL;
                    blocks++;
                }
            }
            final long[] seconds = new long[blocks << SECOND_BITS];
            final int secondBits = rootBits + SECOND_BITS;
            for (int index = 0; index < roots.length; index++) {
                final int start = (int) (roots[index] >> 32);
                if (start < NONE) {
                    final int block = (NONE - 1 - start) << SECOND_BITS;
                    for (int sub = 0; sub <= SECOND_MASK; sub++) {
                        final long probe = (long) index << 64 - rootBits | (long) sub << 64 - secondBits;
                        seconds[block + sub] = rootSlot(root, probe, secondBits, starts);
                        starts.clear();
                    }
                }
            }
            return new Compiled(intNodes, longNodes, values, roots, rootBits, seconds);
        }

        private static int count(Node node) {
            if (node == null) {
                return 0;
            }
            node.subtreeNodes = 1 + count(node.zero) + count(node.one);
            return node.subtreeNodes;
        }

        /**
         * Writes the subtree in pre-order from {@code id}, so a node and its first child are usually
         * neighbours in memory; returns the next free id.
         */
        private static int emit(Node node, int id, int[] intNodes, long[] longNodes, Object[] values,
                                boolean v6) {
            if (node == null) {
                return id;
            }
            node.id = id;
            values[id] = node.value;
            int next = emit(node.zero, id + 1, intNodes, longNodes, values, v6);
            next = emit(node.one, next, intNodes, longNodes, values, v6);
            final int zero = node.zero == null ? NONE : node.zero.id;
            final int one = node.one == null ? NONE : node.one.id;
            final int meta = node.length | (node.value != null ? HAS_VALUE : 0);
            final int base = id << 2;
            if (v6) {
                longNodes[base] = node.high;
                longNodes[base + 1] = node.low;
                longNodes[base + 2] = meta;
                longNodes[base + 3] = (long) zero << 32 | one & 0xffffffffL;
            } else {
                intNodes[base] = (int) (node.high >>> 32);
                intNodes[base + 1] = meta;
                intNodes[base + 2] = zero;
                intNodes[base + 3] = one;
            }
            return next;
        }

        /**
         * Where a lookup whose top {@code rootBits} bits are those of {@code probeHigh} starts: the
         * first node on its path that is at least {@code rootBits} long (its full key is checked by
         * the lookup; also added to {@code startOut}), and the deepest shorter node with a value, which
         * every such address matches.
         */
        private static long rootSlot(Node root, long probeHigh, int rootBits, List<Node> startOut) {
            int best = NONE;
            int start = NONE;
            for (Node node = root; node != null; node = node.child(bit(probeHigh, 0, node.length))) {
                if (node.length >= rootBits) {
                    if (((probeHigh ^ node.high) & MASK_HIGH[rootBits]) == 0) {
                        start = node.id;
                        startOut.add(node);
                    }
                    break;
                }
                if (((probeHigh ^ node.high) & MASK_HIGH[node.length]) != 0) {
                    break;
                }
                if (node.value != null) {
                    best = node.id;
                }
            }
            return (long) start << 32 | best & 0xffffffffL;
        }
    }
}
