package dev.privateupstream.reload;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.EndpointsFile;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.metrics.GatewayMetrics;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the admin API's changes to the endpoints (SPEC §7), one at a time: reads the endpoints in force,
 * applies the change, validates the result with the endpoints file's own rules, writes the file atomically,
 * and only then swaps the new snapshot in, so the API answers once the change is both on disk and in force.
 *
 * <p>Increments {@code gateway_config_reloads_total{result="applied"}} for each change put in force and
 * {@code {result="rejected"}} for each that broke a rule or could not be written.
 *
 * <p>Not thread-safe: runs only on the configuration thread of {@link LiveConfig}, the thread the
 * {@link ConfigWatcher} polls on, which is what keeps the two from losing each other's changes.
 */
final class EndpointEditor {
    private static final Logger logger = LoggerFactory.getLogger(EndpointEditor.class);

    private final PolicyRef policy;
    private final ConfigWatcher watcher;
    private final GatewayMetrics metrics;

    EndpointEditor(PolicyRef policy, ConfigWatcher watcher, GatewayMetrics metrics) {
        this.policy = requireNonNull(policy, "policy");
        this.watcher = requireNonNull(watcher, "watcher");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    EditOutcome apply(EndpointChange change) throws IOException, InterruptedException {
        // A hand edit of the file that the watcher has not seen yet would be overwritten by a change computed
        // from the snapshot: take it in first.
        watcher.poll();
        final GatewayConfig current = policy.get().config();
        final EndpointChange.Proposal proposal = change.propose(current.endpoints());
        if (proposal == null) {
            return new EditOutcome.NotFound();
        }
        final List<EditOutcome.Problem> problems = validate(proposal, current);
        if (!problems.isEmpty()) {
            metrics.reload(false);
            return new EditOutcome.Invalid(problems);
        }
        try {
            EndpointsFile.write(current.endpointsFile(), proposal.endpoints());
        } catch (IOException e) {
            metrics.reload(false);
            throw e;
        }
        watcher.acknowledgeEndpoints();
        final long generation = policy.swap(current.withEndpoints(proposal.endpoints())).generation();
        metrics.reload(true);
        final SharedPrivateEndpoint changed = proposal.changed();
        logger.info("admin API: {} (generation {}, written to {})", changed == null ? "endpoint removed"
                : (proposal.created() ? "created " : "changed ") + changed.name() + " (" + changed.status() + ")",
                generation, current.endpointsFile());
        return new EditOutcome.Applied(changed, proposal.created());
    }

    /**
     * The problems of the proposal. The changed endpoint is validated last, because a clash is reported on
     * the second of the two endpoints involved, and the API must name the field of the request's own.
     */
    private static List<EditOutcome.Problem> validate(EndpointChange.Proposal proposal, GatewayConfig current) {
        final List<SharedPrivateEndpoint> ordered = new ArrayList<>(proposal.endpoints());
        if (proposal.changed() != null) {
            ordered.remove(proposal.changed());
            ordered.add(proposal.changed());
        }
        final List<ConfigError> errors = ConfigLoader.validateEndpoints(ordered, current.upstreams(),
                current.endpointsFile());
        final String own = "[" + (ordered.size() - 1) + "]";
        final List<EditOutcome.Problem> problems = new ArrayList<>(errors.size());
        for (ConfigError error : errors) {
            String path = error.keyPath();
            if (proposal.changed() != null && path.startsWith(own)) {
                path = path.substring(own.length());
                path = path.startsWith(".") ? path.substring(1) : path;
            }
            problems.add(new EditOutcome.Problem(path, error.message()));
        }
        return problems;
    }
}
