package dev.privateupstream.store;

import java.util.List;

/**
 * What {@code GET /api/replicas} answers (SPEC §10).
 *
 * @param revision the revision of the newest change to the endpoints in the store
 * @param replicas every live replica, with the revision each has in force
 */
public record ReplicaView(long revision, List<Replica> replicas) {
    public ReplicaView {
        replicas = List.copyOf(replicas);
    }
}
