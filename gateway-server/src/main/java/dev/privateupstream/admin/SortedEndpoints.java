package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The endpoints of one set in force in name order (String order), for the pages of
 * {@code GET /api/shared-private-endpoints} (SPEC §12).
 *
 * <p>Sorted once per set, not per page: at 100,000 endpoints a sort takes tens of milliseconds, a page's
 * binary search for its {@code skipToken} microseconds. A set in force is an immutable list swapped as a whole,
 * so the list's identity tells whether this view is still the one in force ({@link #isOf}).
 */
final class SortedEndpoints {
    private final List<SharedPrivateEndpoint> source;
    private final SharedPrivateEndpoint[] byName;

    private SortedEndpoints(List<SharedPrivateEndpoint> source) {
        this.source = source;
        byName = source.toArray(new SharedPrivateEndpoint[0]);
        Arrays.sort(byName, Comparator.comparing(SharedPrivateEndpoint::name));
    }

    /** The view of {@code endpoints}, an immutable set in force. */
    static SortedEndpoints of(List<SharedPrivateEndpoint> endpoints) {
        return new SortedEndpoints(requireNonNull(endpoints, "endpoints"));
    }

    /** Whether this is the view of that very list. */
    boolean isOf(List<SharedPrivateEndpoint> endpoints) {
        return source == endpoints;
    }

    int size() {
        return byName.length;
    }

    /**
     * Up to {@code limit} endpoints that {@code filter} lets through, in name order, from the first whose name
     * comes after {@code after} ({@code null}: from the start). The scan stops at {@code limit}.
     */
    List<SharedPrivateEndpoint> page(String after, EndpointQuery.Filter filter, int limit) {
        final List<SharedPrivateEndpoint> page = new ArrayList<>(Math.min(limit, byName.length));
        for (int i = after == null ? 0 : firstAfter(after); i < byName.length && page.size() < limit; i++) {
            if (filter.matches(byName[i])) {
                page.add(byName[i]);
            }
        }
        return page;
    }

    /** The index of the first name greater than {@code name}. */
    private int firstAfter(String name) {
        int low = 0;
        int high = byName.length;
        while (low < high) {
            final int mid = (low + high) >>> 1;
            if (byName[mid].name().compareTo(name) <= 0) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }
}
