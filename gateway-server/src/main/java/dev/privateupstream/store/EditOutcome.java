package dev.privateupstream.store;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.util.List;

/**
 * What became of an {@link EndpointChange}. A change that could not be written (a read-only endpoints
 * file, a full disk) is not an outcome but an exception, and leaves everything as it was.
 */
public sealed interface EditOutcome {

    /**
     * Written to the endpoints file and in force.
     *
     * @param endpoint the endpoint as it now is, or {@code null} when it was removed
     * @param created whether it is new
     */
    record Applied(SharedPrivateEndpoint endpoint, boolean created) implements EditOutcome {
    }

    /** The change names an endpoint that does not exist; nothing changed. */
    record NotFound() implements EditOutcome {
    }

    /** The proposal breaks the endpoint rules (SPEC §4); nothing changed. */
    record Invalid(List<Problem> problems) implements EditOutcome {
        public Invalid {
            problems = List.copyOf(problems);
            if (problems.isEmpty()) {
                throw new IllegalArgumentException("problems: empty (expected at least one)");
            }
        }
    }

    /**
     * One broken rule.
     *
     * @param keyPath where, relative to the changed endpoint ({@code privateIps[0]}, {@code name}); a path
     *        starting with {@code [} is about another endpoint of the file
     * @param message what is wrong
     */
    record Problem(String keyPath, String message) {
        public Problem {
            requireNonNull(keyPath, "keyPath");
            requireNonNull(message, "message");
        }
    }
}
