package dev.privateupstream.store.etcd;

/**
 * A watch made by {@link EtcdClient#watch}: it reconnects by itself, to the next endpoint, whenever its
 * stream drops, until closed or compacted away.
 */
public interface EtcdWatch extends AutoCloseable {
    /**
     * The revision from which the next events will come: the last delivered event's revision + 1, or the
     * revision after the last progress notification (the start revision before either).
     */
    long nextRevision();

    /** Whether a stream is up and etcd has created the watch on it. */
    boolean live();

    /**
     * Stops the watch and closes its connection. Called from a listener, no callback follows; called from
     * another thread, one being delivered at that moment may still arrive.
     */
    @Override
    void close();
}
