package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What changed between two endpoint sets in force, endpoint by endpoint (by name; an endpoint changed when
 * its value is not {@code equals}), for {@code GET /api/events}.
 *
 * <p>Computed once per swap whatever the number of subscribers, with each set's own index by name, so two
 * sets of 100,000 endpoints cost two passes of lookups and no copy. Beyond {@code limit} changes the diff stops
 * and says so ({@link #reset}): the page then reloads rather than apply thousands of events.
 *
 * @param changes the changes, creations and updates in the new set's order, then deletions in the old set's
 * @param reset whether there were more than the limit, in which case {@code changes} is empty
 */
record EndpointDiff(List<Change> changes, boolean reset) {
    private static final EndpointDiff RESET = new EndpointDiff(List.of(), true);

    EndpointDiff {
        changes = List.copyOf(changes);
    }

    /** How an endpoint changed. */
    enum Kind {
        CREATED("created"), UPDATED("updated"), DELETED("deleted");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        String wireName() {
            return wireName;
        }
    }

    /**
     * One endpoint's change.
     *
     * @param endpoint the endpoint as it now is; for a deletion, as it was
     */
    record Change(Kind kind, SharedPrivateEndpoint endpoint) {
        Change {
            requireNonNull(kind, "kind");
            requireNonNull(endpoint, "endpoint");
        }
    }

    /**
     * The changes from {@code before} to {@code after}, each set with its lookup by exact name.
     *
     * @param limit more changes than this give {@link #reset}
     */
    static EndpointDiff between(List<SharedPrivateEndpoint> before,
            Function<String, SharedPrivateEndpoint> beforeByName, List<SharedPrivateEndpoint> after,
            Function<String, SharedPrivateEndpoint> afterByName, int limit) {
        final List<Change> changes = new ArrayList<>();
        if (before == after) {
            return new EndpointDiff(changes, false);
        }
        for (SharedPrivateEndpoint now : after) {
            final SharedPrivateEndpoint was = beforeByName.apply(now.name());
            // Identity first: most endpoints of a set built from the one before are the very same objects.
            if (was == null || (was != now && !was.equals(now))) {
                changes.add(new Change(was == null ? Kind.CREATED : Kind.UPDATED, now));
                if (changes.size() > limit) {
                    return RESET;
                }
            }
        }
        for (SharedPrivateEndpoint was : before) {
            if (afterByName.apply(was.name()) == null) {
                changes.add(new Change(Kind.DELETED, was));
                if (changes.size() > limit) {
                    return RESET;
                }
            }
        }
        return new EndpointDiff(changes, false);
    }
}
