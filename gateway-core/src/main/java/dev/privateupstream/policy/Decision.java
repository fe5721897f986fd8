package dev.privateupstream.policy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;

/**
 * The outcome of the access decision for one call, with the endpoint, rule and upstream involved (SPEC §5).
 *
 * <p>Decisions are precomputed by {@link PolicySnapshot} for every rule and route, so deciding allocates
 * nothing: handlers compare and switch on them, never build them.
 */
public sealed interface Decision permits Decision.Allow, Decision.Deny {

    /** The matched rule, or {@code null} when the caller matched no endpoint. */
    MatchedRule rule();

    /** The route the call takes, or {@code null} when the decision came before routing or none served it. */
    Route route();

    /** The matched endpoint, or {@code null}. */
    default SharedPrivateEndpoint endpoint() {
        final MatchedRule rule = rule();
        return rule == null ? null : rule.endpoint();
    }

    boolean allowed();

    /** The call may go to {@code route}'s upstream. */
    record Allow(MatchedRule rule, Route route) implements Decision {
        public Allow {
            requireNonNull(rule, "rule");
            requireNonNull(route, "route");
        }

        @Override
        public boolean allowed() {
            return true;
        }
    }

    /** The call is refused for {@code reason}. */
    record Deny(DenyReason reason, MatchedRule rule, Route route) implements Decision {
        public Deny {
            requireNonNull(reason, "reason");
        }

        @Override
        public boolean allowed() {
            return false;
        }
    }
}
