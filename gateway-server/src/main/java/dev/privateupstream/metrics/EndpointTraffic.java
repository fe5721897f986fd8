package dev.privateupstream.metrics;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.policy.Decision;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Requests allowed and denied per shared private endpoint since the process started, for the admin page
 * (SPEC §7).
 *
 * <p>Deliberately not a Prometheus label: endpoint names are chosen by whoever calls the admin API, and
 * SPEC §8 keeps label values bounded. Only endpoints in force are kept ({@link #retain}), so the map is as
 * large as the endpoints file, whatever the churn of names.
 */
public final class EndpointTraffic {
    private final ConcurrentHashMap<String, Counts> byName = new ConcurrentHashMap<>();
    private final Instant since = Instant.now();

    /** Allowed and denied requests of one endpoint. */
    public record Totals(long allowed, long denied) {
        public static final Totals ZERO = new Totals(0, 0);
    }

    /**
     * Counts one answered request: denied when the gateway refused it (SPEC §5, §6a), allowed when the
     * access decision let it through (whatever the backend then answered). Requests that matched no
     * endpoint are not counted.
     */
    public void record(Decision decision, Outcome outcome) {
        if (decision == null) {
            return;
        }
        final SharedPrivateEndpoint endpoint = decision.endpoint();
        if (endpoint == null) {
            return;
        }
        if (outcome == Outcome.DENIED) {
            counts(endpoint.name()).denied.increment();
        } else if (decision.allowed()) {
            counts(endpoint.name()).allowed.increment();
        }
    }

    private Counts counts(String name) {
        Counts counts = byName.get(name);
        if (counts == null) {
            // Not computeIfAbsent on the hot path: a plain get is lock-free; the rare first call races
            // harmlessly through putIfAbsent.
            final Counts fresh = new Counts();
            counts = byName.putIfAbsent(name, fresh);
            if (counts == null) {
                counts = fresh;
            }
        }
        return counts;
    }

    /** The totals of one endpoint; zero when it had no traffic. */
    public Totals totals(String endpoint) {
        final Counts counts = byName.get(requireNonNull(endpoint, "endpoint"));
        return counts == null ? Totals.ZERO : new Totals(counts.allowed.sum(), counts.denied.sum());
    }

    /** When counting started. */
    public Instant since() {
        return since;
    }

    /** Forgets endpoints no longer in force, so that deleted names do not accumulate. */
    void retain(Predicate<String> inForce) {
        byName.keySet().removeIf(inForce.negate());
    }

    private static final class Counts {
        final LongAdder allowed = new LongAdder();
        final LongAdder denied = new LongAdder();
    }
}
