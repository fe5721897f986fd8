package dev.privateupstream.metrics;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.policy.DenyReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Requests allowed and denied per shared private endpoint since the process started, and the last decision
 * about each, for the admin page (SPEC §7, §12).
 *
 * <p>Deliberately not a Prometheus label: endpoint names are chosen by whoever calls the admin API, and
 * SPEC §8 keeps label values bounded. Only endpoints in force are kept ({@link #retain}), so the map is as
 * large as the endpoints file, whatever the churn of names.
 */
public final class EndpointTraffic {
    private static final DenyReason[] REASONS = DenyReason.values();
    /** Low bits of a decision word: {@link #ALLOWED}, or {@link #DENIED_BASE} plus the reason's ordinal. */
    private static final int CODE_BITS = 6;
    private static final long ALLOWED = 1;
    private static final long DENIED_WITHOUT_REASON = 2;
    private static final long DENIED_BASE = 3;

    static {
        if (DENIED_BASE + REASONS.length >= 1L << CODE_BITS) {
            throw new ExceptionInInitializerError("more deny reasons than a decision word's " + CODE_BITS + " bits");
        }
    }

    private final ConcurrentHashMap<String, Counts> byName = new ConcurrentHashMap<>();
    private final Instant since = Instant.now();
    /** {@link System#nanoTime} at {@link #since}: decision times are kept relative to it. */
    private final long sinceNanos = System.nanoTime();

    /**
     * Allowed and denied requests of one endpoint.
     *
     * @param last the latest decision about the endpoint, or {@code null} when it had no traffic
     */
    public record Totals(long allowed, long denied, LastDecision last) {
        public static final Totals ZERO = new Totals(0, 0, null);
    }

    /**
     * The latest decision about an endpoint's call.
     *
     * @param time when the call started, to the millisecond
     * @param reason why it was denied (SPEC §5, §6a), or {@code null} when allowed, or when denied for a
     *        reason that was not recorded
     */
    public record LastDecision(Instant time, boolean allowed, DenyReason reason) {
        public LastDecision {
            requireNonNull(time, "time");
        }
    }

    /**
     * Counts one answered request and keeps it as the endpoint's last decision: denied when the gateway
     * refused it (SPEC §5, §6a), allowed when the access decision let it through (whatever the backend then
     * answered). Requests that matched no endpoint are not counted. On the proxy's event loops: no lock and no
     * allocation once the endpoint has been seen.
     *
     * @param reason the refusal's reason when denied, else ignored (may be {@code null})
     * @param startNanos {@link System#nanoTime} when the call started: its time, without reading a clock here
     */
    public void record(Decision decision, Outcome outcome, DenyReason reason, long startNanos) {
        if (decision == null) {
            return;
        }
        final SharedPrivateEndpoint endpoint = decision.endpoint();
        if (endpoint == null) {
            return;
        }
        final long code;
        if (outcome == Outcome.DENIED) {
            code = reason == null ? DENIED_WITHOUT_REASON : DENIED_BASE + reason.ordinal();
        } else if (decision.allowed()) {
            code = ALLOWED;
        } else {
            return;
        }
        final Counts counts = counts(endpoint.name());
        (code == ALLOWED ? counts.allowed : counts.denied).increment();
        counts.last(decisionWord(startNanos, code));
    }

    /** One long for time and outcome, so that the two are written and read together, never torn apart. */
    private long decisionWord(long startNanos, long code) {
        // Never before the start, so a word is never 0 (no decision); a division by a constant is a multiply.
        final long millis = Math.max(0, startNanos - sinceNanos) / 1_000_000;
        return (millis << CODE_BITS) | code;
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
        return counts == null ? Totals.ZERO
                : new Totals(counts.allowed.sum(), counts.denied.sum(), lastDecision(counts.last()));
    }

    private LastDecision lastDecision(long word) {
        if (word == 0) {
            return null;
        }
        final Instant time = since.plusMillis(word >>> CODE_BITS);
        final long code = word & ((1L << CODE_BITS) - 1);
        if (code == ALLOWED) {
            return new LastDecision(time, true, null);
        }
        return new LastDecision(time, false, code == DENIED_WITHOUT_REASON ? null
                : REASONS[(int) (code - DENIED_BASE)]);
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
        private static final VarHandle LAST;

        static {
            try {
                LAST = MethodHandles.lookup().findVarHandle(Counts.class, "last", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final LongAdder allowed = new LongAdder();
        final LongAdder denied = new LongAdder();
        /** The last decision word, 0 for none; opaque: atomic for a long, no fence on the hot path. */
        @SuppressWarnings("unused")
        private long last;

        long last() {
            return (long) LAST.getOpaque(this);
        }

        /**
         * Keeps {@code word} unless it is already there: calls of the same millisecond and outcome from several
         * event loops then only read the line they share, and write it at most once a millisecond.
         */
        void last(long word) {
            if ((long) LAST.getOpaque(this) != word) {
                LAST.setOpaque(this, word);
            }
        }
    }
}
