package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** One operation inside a {@link EtcdClient#txn transaction}'s success or failure branch. */
public sealed interface Op permits Op.Put, Op.Delete, Op.Range {
    /** Puts {@code value} at {@code key}, attached to {@code lease} (0 for none). */
    record Put(byte[] key, byte[] value, long lease) implements Op {
        public Put {
            requireNonNull(key, "key");
            requireNonNull(value, "value");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put other && Arrays.equals(key, other.key) && Arrays.equals(value, other.value)
                   && lease == other.lease;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(key) * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Put[" + text(key) + '=' + text(value) + (lease == 0 ? "" : ", lease=" + lease) + ']';
        }
    }

    /** Deletes {@code key}, or every key in {@code [key, rangeEnd)} when {@code rangeEnd} is not null. */
    record Delete(byte[] key, byte[] rangeEnd) implements Op {
        public Delete {
            requireNonNull(key, "key");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Delete other && Arrays.equals(key, other.key) && Arrays.equals(rangeEnd, other.rangeEnd);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(key) * 31 + Arrays.hashCode(rangeEnd);
        }

        @Override
        public String toString() {
            return "Delete[" + text(key) + (rangeEnd == null ? "" : ".." + text(rangeEnd)) + ']';
        }
    }

    /**
     * Reads {@code key}, or every key in {@code [key, rangeEnd)}: its answer is in
     * {@link TxnResponse#ranges()}, read inside the transaction.
     */
    record Range(byte[] key, byte[] rangeEnd) implements Op {
        public Range {
            requireNonNull(key, "key");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Range other && Arrays.equals(key, other.key) && Arrays.equals(rangeEnd, other.rangeEnd);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(key) * 31 + Arrays.hashCode(rangeEnd);
        }

        @Override
        public String toString() {
            return "Range[" + text(key) + (rangeEnd == null ? "" : ".." + text(rangeEnd)) + ']';
        }
    }

    static Op put(byte[] key, byte[] value) {
        return new Put(key, value, 0);
    }

    static Op put(byte[] key, byte[] value, long lease) {
        return new Put(key, value, lease);
    }

    static Op delete(byte[] key, byte[] rangeEnd) {
        return new Delete(key, rangeEnd);
    }

    static Op range(byte[] key, byte[] rangeEnd) {
        return new Range(key, rangeEnd);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
