package dev.privateupstream.store.etcd;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Who claims a name, a prefix or a link id among the stored endpoints. Every claimant is kept, not only the
 * first: a watch batch may bring two keys claiming the same thing and delete a third that claimed it before,
 * and the check after the batch must still find the two together.
 *
 * <p>A valid set has one claimant per key, kept as the endpoint itself; only a clash costs a list.
 *
 * @param <K> what is claimed
 */
final class Claims<K> {
    /** A {@link SharedPrivateEndpoint}, or a {@code List<SharedPrivateEndpoint>} of two or more. */
    private final Map<K, Object> claimants = new HashMap<>();

    void add(K key, SharedPrivateEndpoint endpoint) {
        claimants.merge(key, endpoint, Claims::joined);
    }

    void remove(K key, SharedPrivateEndpoint endpoint) {
        final Object present = claimants.get(key);
        if (present == endpoint) {
            claimants.remove(key);
        } else if (present instanceof List<?> list) {
            final List<SharedPrivateEndpoint> rest = new ArrayList<>(list.size());
            for (Object other : list) {
                if (other != endpoint) {
                    rest.add((SharedPrivateEndpoint) other);
                }
            }
            claimants.put(key, rest.size() == 1 ? rest.get(0) : rest);
        }
    }

    /** Every endpoint claiming {@code key} but {@code self} (or one of the same name) into {@code into}. */
    void othersInto(K key, SharedPrivateEndpoint self, Map<String, SharedPrivateEndpoint> into) {
        final Object present = claimants.get(key);
        if (present instanceof SharedPrivateEndpoint one) {
            addOther(into, one, self);
        } else if (present instanceof List<?> list) {
            for (Object other : list) {
                addOther(into, (SharedPrivateEndpoint) other, self);
            }
        }
    }

    void clear() {
        claimants.clear();
    }

    private static void addOther(Map<String, SharedPrivateEndpoint> into, SharedPrivateEndpoint other,
            SharedPrivateEndpoint self) {
        // The stored version of the endpoint being changed is replaced by the change, not clashing with it.
        if (other != self && !other.name().equals(self.name())) {
            into.put(other.name(), other);
        }
    }

    private static Object joined(Object present, Object added) {
        final List<Object> list = new ArrayList<>();
        if (present instanceof List<?> earlier) {
            list.addAll(earlier);
        } else {
            list.add(present);
        }
        list.add(added);
        return list;
    }
}
