package dev.privateupstream.caller;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.reload.PolicyRef;

/**
 * The {@link CallerPolicy} of the snapshot in force, compiled again only when {@code listen.*} changes.
 *
 * <p>Read once per accepted connection: a reload that keeps {@code listen.*} (an endpoints change, say)
 * keeps the compiled policy and its shared handlers.
 */
public final class CallerPolicyRef {
    private final PolicyRef policy;
    private final GatewayMetrics metrics;
    /**
     * The last compiled policy. Racy by design: two event loops that see a new configuration at once may
     * both compile it, and either result is correct; no lock on the accept path.
     */
    private volatile CallerPolicy current;

    public CallerPolicyRef(PolicyRef policy, GatewayMetrics metrics) {
        this.policy = requireNonNull(policy, "policy");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /** The caller policy of the configuration in force. */
    public CallerPolicy get() {
        final ListenConfig listen = policy.get().config().listen();
        CallerPolicy compiled = current;
        if (compiled == null || compiled.listen() != listen && !compiled.listen().equals(listen)) {
            compiled = CallerPolicy.of(listen, policy, metrics);
            current = compiled;
        }
        return compiled;
    }
}
