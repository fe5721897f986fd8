package dev.privateupstream.net;

/**
 * An immutable longest-prefix-match table from IPv4 and IPv6 prefixes to values.
 *
 * <p>Lookups allocate nothing and take no locks; they cost a walk over a path-compressed binary trie,
 * so they stay fast at 100,000 prefixes.
 *
 * @param <V> the value stored with each prefix
 */
public final class PrefixTable<V> {
    // STUB

    private PrefixTable() {
        throw new UnsupportedOperationException("stub");
    }

    public static <V> Builder<V> builder() {
        throw new UnsupportedOperationException("stub");
    }

    /** An empty table. */
    public static <V> PrefixTable<V> empty() {
        throw new UnsupportedOperationException("stub");
    }

    /** The value of the longest prefix containing the address, or {@code null}. */
    public V lookup(IpAddress address) {
        throw new UnsupportedOperationException("stub");
    }

    public V lookupV4(int bits) {
        throw new UnsupportedOperationException("stub");
    }

    public V lookupV6(long high, long low) {
        throw new UnsupportedOperationException("stub");
    }

    public int size() {
        throw new UnsupportedOperationException("stub");
    }

    /** Collects prefixes; {@link #build()} compiles them. Not thread-safe, never shared. */
    public static final class Builder<V> {
        private Builder() {
        }

        /** @throws IllegalArgumentException if the same prefix was added before */
        public Builder<V> add(IpPrefix prefix, V value) {
            throw new UnsupportedOperationException("stub");
        }

        public PrefixTable<V> build() {
            throw new UnsupportedOperationException("stub");
        }
    }
}
