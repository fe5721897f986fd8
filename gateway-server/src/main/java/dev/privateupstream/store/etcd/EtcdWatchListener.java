package dev.privateupstream.store.etcd;

import java.util.List;

/**
 * Receives what a {@link EtcdWatch} sees. Every method runs on the client's event loop, one at a time and in
 * stream order: return quickly and never block (no {@code join()} on another call of the same client, which
 * would need this very thread to complete).
 */
public interface EtcdWatchListener {
    /**
     * One watch answer: its events, in revision order, each at a revision after those already delivered (none
     * is delivered twice, none is skipped, across reconnections too).
     *
     * @param headerRevision the store's revision when etcd sent them (at least the last event's)
     */
    void onEvents(long headerRevision, List<WatchEvent> events);

    /**
     * A progress notification: nothing in the watched range changed up to {@code headerRevision}, and the
     * watch's {@link EtcdWatch#nextRevision()} is now past it. etcd sends one about every ten minutes to a
     * watch that is caught up.
     */
    default void onProgress(long headerRevision) {
    }

    /**
     * {@code true} once etcd has created the watch on a stream, {@code false} when that stream drops (a
     * reconnection follows, from {@link EtcdWatch#nextRevision()}).
     */
    default void onLive(boolean live) {
    }

    /**
     * The watch's next revision has been compacted away, so the changes since cannot be replayed. This is the
     * last call: the watch is over. Read the range again and watch from after that read's revision.
     */
    void onCompacted(long compactRevision);
}
