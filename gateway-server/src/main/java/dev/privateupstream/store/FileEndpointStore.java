package dev.privateupstream.store;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.EndpointsFile;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints in one local file (SPEC §4, §7): for a single machine and the demo. Hand edits are seen by
 * polling the file; the admin API's changes are validated against the whole list, written atomically, and
 * only then put in force, so the API answers once a change is both on disk and in force.
 *
 * <p>Writes never conflict: the configuration thread is the only writer, and it takes in a hand edit it has
 * not seen yet before computing a change. Not thread-safe: used only on that thread.
 */
public final class FileEndpointStore implements EndpointStore {
    private static final Logger logger = LoggerFactory.getLogger(FileEndpointStore.class);

    private final ConfigLoader loader;
    private EndpointSink sink;
    private WatchedFile file;
    /** The file holds no history: this process keeps the newest changes it made itself. */
    private final AuditHistory audit = new AuditHistory(AuditHistory.DEFAULT_CAPACITY);
    private volatile long revision = 1;
    private volatile Replica self;

    public FileEndpointStore(Path file, ConfigLoader loader) {
        this.file = new WatchedFile(requireNonNull(file, "file"));
        this.loader = requireNonNull(loader, "loader");
        this.file.acknowledge();
    }

    @Override
    public void start(EndpointSink sink, Runnable wake) {
        // Polled on the configuration thread's schedule: nothing pushes, so nothing to wake it for.
        this.sink = requireNonNull(sink, "sink");
    }

    @Override
    public String describe() {
        return file.path().toString();
    }

    @Override
    public EndpointSet read(List<UpstreamConfig> upstreams) throws ConfigException {
        return new EndpointSet(loader.loadEndpoints(file.path(), upstreams), revision);
    }

    @Override
    public long replace(List<SharedPrivateEndpoint> endpoints) throws IOException {
        EndpointsFile.write(file.path(), endpoints);
        file.acknowledge();
        return ++revision;
    }

    /**
     * Follows another file from now on: {@code gateway.yaml} was changed to name it, and its content has
     * just been loaded with it.
     */
    public void follow(Path other) {
        if (!other.equals(file.path())) {
            logger.info("now watching the endpoints file {} (was {})", other, file.path());
            file = new WatchedFile(other);
            file.acknowledge();
        }
    }

    /** The endpoints file followed now. */
    public Path path() {
        return file.path();
    }

    /** Whether the file changed since it was last handled; a change counts as handled from now on. */
    public boolean changed() throws InterruptedException {
        return file.changed();
    }

    @Override
    public void poll() throws InterruptedException {
        if (file.changed()) {
            reload();
        }
    }

    /** Reads the file as it is now and hands it on, or rejects it with every error. */
    public void reload() {
        final GatewayConfig current = sink.current();
        final GatewayConfig next;
        try {
            next = loader.reloadEndpoints(current);
        } catch (ConfigException e) {
            sink.reject(file.path().toString(), e.errors());
            return;
        }
        sink.apply(next.endpoints(), ++revision, file.path().toString(),
                changedFrom(current.endpoints(), next.endpoints()));
    }

    /**
     * The endpoints of {@code next} that are new or differ from {@code current}'s of the same name, or
     * {@code null} when one of {@code current}'s is gone. An approval written into a file of 100,000 endpoints
     * then costs the policy the one endpoint it changed, not a whole compile (PolicySnapshot.withChanged).
     */
    static List<SharedPrivateEndpoint> changedFrom(List<SharedPrivateEndpoint> current,
            List<SharedPrivateEndpoint> next) {
        // A reload keeps the records of unchanged items: the same record at the same place is unchanged, and
        // only the rest is compared by name (a map of 100,000 names per reload was most of what it made).
        final int both = Math.min(current.size(), next.size());
        final Map<String, SharedPrivateEndpoint> before = new HashMap<>();
        final List<SharedPrivateEndpoint> candidates = new ArrayList<>();
        for (int i = 0; i < both; i++) {
            if (current.get(i) != next.get(i)) {
                before.put(current.get(i).name(), current.get(i));
                candidates.add(next.get(i));
            }
        }
        for (int i = both; i < current.size(); i++) {
            before.put(current.get(i).name(), current.get(i));
        }
        candidates.addAll(next.subList(both, next.size()));
        final List<SharedPrivateEndpoint> changed = new ArrayList<>();
        for (SharedPrivateEndpoint endpoint : candidates) {
            final SharedPrivateEndpoint was = before.remove(endpoint.name());
            if (!endpoint.equals(was)) {
                changed.add(endpoint);
            }
        }
        return before.isEmpty() ? changed : null;
    }

    @Override
    public EditOutcome edit(EndpointChange change) throws IOException, InterruptedException {
        // A hand edit of the file not seen yet would be overwritten by a change computed from the set in
        // force: take it in first.
        poll();
        final GatewayConfig current = sink.current();
        final EndpointChange.Proposal proposal = change.propose(current.endpoints());
        if (proposal == null) {
            return new EditOutcome.NotFound();
        }
        final List<EditOutcome.Problem> problems = ProposalCheck.problems(proposal.endpoints(), proposal.changed(),
                current.upstreams(), file.path());
        if (!problems.isEmpty()) {
            sink.refused();
            return new EditOutcome.Invalid(problems);
        }
        try {
            EndpointsFile.write(file.path(), proposal.endpoints());
        } catch (IOException e) {
            sink.refused();
            throw e;
        }
        file.acknowledge();
        sink.apply(proposal.endpoints(), ++revision, "admin API (" + proposal.describe() + ", written to "
                + file.path() + ")", proposal.changed() == null ? null : List.of(proposal.changed()));
        if (proposal.audit() != null) {
            audit.add(proposal.audit());
        }
        return new EditOutcome.Applied(proposal.changed(), proposal.created());
    }

    @Override
    public void announce(Replica self) {
        this.self = requireNonNull(self, "self");
    }

    /** One machine: the only replica is this one, always at the file's revision. */
    @Override
    public CompletableFuture<Void> keepAudit(AuditRecord record) {
        audit.add(record);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<List<AuditRecord>> audit(String name) {
        return CompletableFuture.completedFuture(audit.of(name));
    }

    @Override
    public CompletableFuture<ReplicaView> replicas() {
        final long now = revision;
        final Replica me = self;
        return CompletableFuture.completedFuture(new ReplicaView(now,
                me == null ? List.of() : List.of(me.withRevision(now))));
    }

    @Override
    public void close() {
        // Nothing held open: the file is read and written whole.
    }
}
