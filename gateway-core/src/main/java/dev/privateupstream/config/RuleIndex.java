package dev.privateupstream.config;

import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.net.IpPrefix;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a set of endpoints that broke no rule of {@link EndpointRules} claims: its names (in lower case), its
 * prefixes and its link ids, against the upstreams' resource ids it was checked with. A reload that changed
 * a few items checks only those against it, instead of building the claims of 100,000 endpoints again.
 *
 * <p>Answers only "nothing is broken": when a changed item might break a rule, the caller checks the whole
 * set, which also words the errors, and makes the next index. Not thread-safe.
 */
final class RuleIndex {
    private final Map<String, ?> names;
    private final Map<IpPrefix, ?> prefixes;
    private final Map<Long, ?> linkIds;
    private final List<String> resourceIds;

    /** Takes over the maps of a whole check that found no error; only their keys are used. */
    RuleIndex(Map<String, ?> names, Map<IpPrefix, ?> prefixes, Map<Long, ?> linkIds, List<String> resourceIds) {
        this.names = names;
        this.prefixes = prefixes;
        this.linkIds = linkIds;
        this.resourceIds = resourceIds == null ? null : List.copyOf(resourceIds);
    }

    /**
     * Takes {@code removed} out of the set and puts {@code added} in: whether the result breaks no rule, the
     * index then holding the new set. On {@code false} (also when the upstreams are not the ones of the
     * index) the index holds no set any more and must be dropped: the caller checks the whole set, which
     * gives the next index.
     *
     * @param removed entries of the indexed set (each was added before, whole and valid)
     * @param added entries read without error, not in the indexed set
     */
    boolean replace(List<EndpointEntry> removed, List<EndpointEntry> added, List<String> resourceIds) {
        if (this.resourceIds == null ? resourceIds != null : !this.resourceIds.equals(resourceIds)) {
            return false;
        }
        for (EndpointEntry entry : added) {
            if (!knownResourceId(entry)) {
                return false;
            }
        }
        removed.forEach(this::release);
        for (EndpointEntry entry : added) {
            if (!claim(entry)) {
                return false;
            }
        }
        return true;
    }

    /** Claims every key of {@code entry}, or none: whether none was taken already. */
    private boolean claim(EndpointEntry entry) {
        final String name = entry.name().value().toLowerCase(Locale.ROOT);
        if (names.containsKey(name)) {
            return false;
        }
        final List<Located<IpPrefix>> ips = entry.privateIps();
        for (int i = 0; i < ips.size(); i++) {
            final IpPrefix prefix = ips.get(i).value();
            if (prefixes.containsKey(prefix)) {
                return false;
            }
            for (int j = 0; j < i; j++) {
                if (ips.get(j).value().equals(prefix)) {
                    return false; // listed twice in the entry
                }
            }
        }
        final Located<LinkId> linkId = entry.linkId();
        if (linkId != null && linkIds.containsKey(linkId.value().value())) {
            return false;
        }
        put(names, name, entry);
        ips.forEach(ip -> put(prefixes, ip.value(), entry));
        if (linkId != null) {
            put(linkIds, linkId.value().value(), entry);
        }
        return true;
    }

    private void release(EndpointEntry entry) {
        names.remove(entry.name().value().toLowerCase(Locale.ROOT));
        entry.privateIps().forEach(ip -> prefixes.remove(ip.value()));
        if (entry.linkId() != null) {
            linkIds.remove(entry.linkId().value().value());
        }
    }

    private boolean knownResourceId(EndpointEntry entry) {
        final Located<String> resourceId = entry.privateLinkResourceId();
        if (resourceIds == null || resourceId == null) {
            return true;
        }
        for (String known : resourceIds) {
            if (known.equalsIgnoreCase(resourceId.value())) {
                return true;
            }
        }
        return false;
    }

    /** The maps' values are the whole check's own and never read here: any object marks a key as taken. */
    @SuppressWarnings("unchecked")
    private static <K> void put(Map<K, ?> map, K key, Object value) {
        ((Map<K, Object>) map).put(key, value);
    }
}
