package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.config.EtcdConfig;
import dev.privateupstream.store.Replica;
import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this replica's entry {@code PREFIX + "replicas/" + ID} alive under a lease (SPEC §10 replicas): the
 * entry disappears about {@link #TTL_SECONDS} after the replica stops renewing it, whether it stopped
 * cleanly (the lease is revoked at once) or died. A lease that expired during a store outage is granted
 * anew and the entry written again.
 *
 * <p>Every call is asynchronous; the timer thread schedules them and nothing waits on them.
 */
final class ReplicaRegistry implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(ReplicaRegistry.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final long TTL_SECONDS = 10;
    /** A third of the TTL: two renewals may be lost before the entry expires. */
    static final long RENEW_MILLIS = TTL_SECONDS * 1000 / 3;

    private final EtcdClient client;
    private final byte[] key;
    private final ScheduledExecutorService timer;
    private volatile Replica self;
    private volatile long lease;
    private volatile boolean granting;

    ReplicaRegistry(EtcdClient client, EtcdConfig config, ScheduledExecutorService timer) {
        this.client = requireNonNull(client, "client");
        this.key = EtcdEndpointStore.bytes(config.replicasPrefix() + config.replicaId());
        this.timer = requireNonNull(timer, "timer");
    }

    void start(Replica replica) {
        self = requireNonNull(replica, "replica");
        timer.scheduleWithFixedDelay(this::renew, 0, RENEW_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The revision in force changed: write the entry again (not when not started yet). */
    void revision(long revision) {
        final Replica current = self;
        if (current != null && current.revision() != revision) {
            self = current.withRevision(revision);
            if (lease != 0) {
                write(lease);
            }
        }
    }

    private void renew() {
        final long id = lease;
        if (id == 0) {
            grant();
            return;
        }
        client.keepAlive(id).whenComplete((ttl, e) -> {
            if (e == null && ttl == 0) {
                logger.info("replica registry: lease {} expired (the store was out of reach longer than {} s); "
                        + "registering again", Long.toHexString(id), TTL_SECONDS);
                lease = 0;
                grant();
            } else if (e != null) {
                logger.debug("replica registry: renewal failed; trying again in {} ms", RENEW_MILLIS, e);
            }
        });
    }

    private void grant() {
        if (granting) {
            return;
        }
        granting = true;
        client.grantLease(TTL_SECONDS).whenComplete((id, e) -> {
            granting = false;
            if (e != null) {
                logger.debug("replica registry: no lease yet; trying again in {} ms", RENEW_MILLIS, e);
                return;
            }
            lease = id;
            write(id);
        });
    }

    private void write(long id) {
        final byte[] value;
        try {
            value = MAPPER.writeValueAsBytes(self.toJson());
        } catch (IOException e) {
            throw new IllegalStateException("a tree of strings and numbers always serialises", e);
        }
        client.put(key, value, id).whenComplete((r, e) -> {
            if (e != null) {
                logger.debug("replica registry: writing the entry failed; the next renewal tries again", e);
                lease = e instanceof EtcdException etcd && etcd.kind() == EtcdException.Kind.REJECTED ? 0 : lease;
            }
        });
    }

    /** Reads one entry; a value that is not JSON reads as an empty replica. */
    static Replica parse(byte[] json) {
        try {
            return Replica.of(MAPPER.readTree(json));
        } catch (IOException e) {
            return Replica.of(MAPPER.createObjectNode());
        }
    }

    /** Revokes the lease, so the entry goes at once; best effort, bounded by the client's timeout. */
    @Override
    public void close() {
        final long id = lease;
        lease = 0;
        if (id != 0) {
            try {
                client.revoke(id).get(3, TimeUnit.SECONDS);
            } catch (Exception e) {
                logger.debug("replica registry: revoking the lease failed; the entry expires by itself", e);
            }
        }
    }
}
