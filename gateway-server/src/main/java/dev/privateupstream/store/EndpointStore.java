package dev.privateupstream.store;

import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.store.etcd.EtcdEndpointStore;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the shared private endpoints live: the endpoints file (SPEC §4) or an etcd cluster the replicas
 * share (SPEC §10). A store hands whole, validated sets with their revision to one {@link EndpointSink},
 * and takes the admin API's changes as compare-and-swap on the set they were computed from; nothing above
 * this interface knows which store it talks to.
 *
 * <p>{@link #poll} and {@link #edit} run only on the configuration thread, one after the other, so a change
 * always builds on the newest set this replica has seen. {@link #read} and {@link #replace} serve the
 * commands that run without a gateway ({@code validate}, {@code explain}, {@code store export/import}).
 */
public interface EndpointStore extends AutoCloseable {

    /**
     * The store {@code config} names, not yet followed: for the commands that read or write it once. A
     * running gateway starts its store itself.
     */
    static EndpointStore open(GatewayConfig config, ConfigLoader loader) {
        return config.etcd() != null ? EtcdEndpointStore.open(config.etcd(), loader, null)
                : new FileEndpointStore(config.endpointsFile(), loader);
    }

    /** Where the endpoints live, for logs and messages: a file path, or {@code etcd PREFIX at URLS}. */
    String describe();

    /**
     * One consistent read of the whole set, checked with the rules of SPEC §4 against {@code upstreams}.
     *
     * @throws ConfigException with every error when the set breaks the rules
     * @throws StoreUnavailableException when the store does not answer within its timeout
     */
    EndpointSet read(List<UpstreamConfig> upstreams) throws ConfigException, StoreUnavailableException;

    /**
     * Replaces the whole set in one step ({@code store import}); the caller has validated it.
     *
     * @return the revision of the new set
     */
    long replace(List<SharedPrivateEndpoint> endpoints)
            throws IOException, StoreUnavailableException, StoreConflictException;

    /**
     * Starts following the store: from now on every set goes to {@code sink}, on the configuration thread.
     *
     * @param wake asks for a {@link #poll} on the configuration thread soon; a store that learns of changes
     *        on a thread of its own calls it so a change does not wait for the next scheduled poll
     */
    void start(EndpointSink sink, Runnable wake);

    /** Takes in changes made elsewhere (a hand edit of the file, another replica's write). */
    void poll() throws InterruptedException;

    /**
     * Applies one change of the admin API: computed from the newest set, validated, stored, and in force on
     * this replica before it returns. The proposal's audit record, if any, is kept with it: in the same
     * transaction with etcd, in this process's history with the file.
     *
     * @throws IOException when it could not be written (a read-only file); nothing changed
     * @throws StoreUnavailableException when the store did not answer in time; nothing changed
     * @throws StoreConflictException when other writers won every attempt; nothing changed
     */
    EditOutcome edit(EndpointChange change)
            throws IOException, StoreUnavailableException, StoreConflictException, InterruptedException;

    /**
     * Makes this replica known (SPEC §10 replicas), once its listeners are bound; the store keeps its entry
     * current with the revision in force.
     */
    void announce(Replica self);

    /** The replicas and the newest revision, as the store knows them now ({@code GET /api/replicas}). */
    CompletableFuture<ReplicaView> replicas();

    /**
     * Keeps one audit record (SPEC §12) of a change made without {@link #edit} ({@code store import}) where
     * {@link #audit} finds it, after the change committed: a change whose record is lost still stands, and the
     * record is also on the log {@code gateway.audit}. {@link #edit} keeps a proposal's own record itself.
     */
    CompletableFuture<Void> keepAudit(AuditRecord record);

    /** The audit records of the endpoint {@code name} (any letter case), newest first. */
    CompletableFuture<List<AuditRecord>> audit(String name);

    /** Stops following the store; a change in progress has finished (the configuration thread is done). */
    @Override
    void close();
}
