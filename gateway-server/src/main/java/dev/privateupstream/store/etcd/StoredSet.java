package dev.privateupstream.store.etcd;

import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.store.EditOutcome;
import dev.privateupstream.store.EndpointChange;
import dev.privateupstream.store.EndpointResource;
import dev.privateupstream.store.InvalidFieldException;
import dev.privateupstream.store.ProposalCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The endpoint keys of the store as this replica last read them, parsed once per key, with an index of
 * who claims which name, prefix and link id, so that a change costs what one endpoint costs: a write is
 * validated against the few endpoints it could clash with, not against the whole set, and a change seen on
 * the watch re-parses only its own key.
 *
 * <p>Not thread-safe: used on the configuration thread only.
 */
final class StoredSet {
    private final String prefix;
    private final Path where;
    /** By the name in the key, in key order (etcd's order). */
    private final TreeMap<String, Entry> entries = new TreeMap<>();
    private final Claims<String> byName = new Claims<>();
    private final Claims<String> byPrefix = new Claims<>();
    private final Claims<Long> byLinkId = new Claims<>();
    /** Keys changed since the last check; {@code null} when the next check must look at every key. */
    private Set<String> dirty;
    private List<SharedPrivateEndpoint> endpoints;
    /**
     * The names of the keys put since the set was last put in force, or {@code null} when a key was deleted
     * or the whole set read again since: the snapshot then has to be compiled whole.
     */
    private Set<String> putSinceInForce = new LinkedHashSet<>();
    private long revision;
    private long changeRevision;
    private boolean loaded;
    private boolean inForce;

    StoredSet(String prefix) {
        this.prefix = prefix;
        this.where = printable("etcd:" + prefix);
    }

    boolean loaded() {
        return loaded;
    }

    /** The store revision this reflects: changes up to it are in. */
    long revision() {
        return revision;
    }

    /** The revision of the newest change under the endpoints prefix (SPEC §10 replicas). */
    long changeRevision() {
        return changeRevision;
    }

    int size() {
        return entries.size();
    }

    boolean inForce() {
        return inForce;
    }

    void markInForce() {
        inForce = true;
        putSinceInForce = new LinkedHashSet<>();
    }

    /**
     * The endpoints created or changed since the set was last put in force, when nothing was removed in
     * between; else {@code null}.
     */
    List<SharedPrivateEndpoint> changedSinceInForce() {
        if (putSinceInForce == null) {
            return null;
        }
        final List<SharedPrivateEndpoint> changed = new ArrayList<>(putSinceInForce.size());
        for (String name : putSinceInForce) {
            final SharedPrivateEndpoint endpoint = endpoint(name);
            if (endpoint == null) {
                return null;
            }
            changed.add(endpoint);
        }
        return changed;
    }

    /** Replaces everything with a whole read. */
    void reset(EtcdEndpointStore.Snapshot snapshot) {
        entries.clear();
        long newest = snapshot.guardRevision();
        for (KeyValue kv : snapshot.kvs()) {
            final Entry entry = Entry.of(name(kv.key()), kv.value(), kv.modRevision());
            entries.put(entry.name(), entry);
            newest = Math.max(newest, kv.modRevision());
        }
        revision = snapshot.revision();
        changeRevision = newest;
        loaded = true;
        changed(null);
    }

    /**
     * Applies watch events in order; those at or below {@link #revision} (already read whole, or this
     * replica's own write) are skipped.
     *
     * @return whether anything changed
     */
    boolean apply(List<WatchEvent> events) {
        boolean changed = false;
        for (WatchEvent event : events) {
            final long mod = event.kv().modRevision();
            if (!loaded || mod <= revision) {
                continue;
            }
            final String name = name(event.kv().key());
            if (event.type() == WatchEvent.Type.DELETE) {
                unindex(entries.remove(name));
                putSinceInForce = null;
            } else {
                if (putSinceInForce != null) {
                    putSinceInForce.add(name);
                }
                final Entry entry = Entry.of(name, event.kv().value(), mod);
                unindex(entries.put(name, entry));
                index(entry);
            }
            markDirty(name);
            revision = mod;
            changeRevision = mod;
            changed = true;
        }
        if (changed) {
            inForce = false;
        }
        return changed;
    }

    /** This replica's own committed write, at {@code committed}; the watch's copy of it will be skipped. */
    void applyOwn(EndpointChange.Proposal proposal, long committed) {
        if (proposal.changed() != null) {
            final SharedPrivateEndpoint endpoint = proposal.changed();
            final Entry entry = new Entry(endpoint.name(), committed, endpoint, null);
            unindex(entries.put(endpoint.name(), entry));
            index(entry);
        } else if (proposal.removed() != null) {
            unindex(entries.remove(proposal.removed().name()));
        }
        // Validated before it was written: the set stays as valid as it was.
        endpoints = null;
        revision = committed;
        changeRevision = committed;
        inForce = false;
    }

    /** The stored endpoint under {@code name}, or {@code null} when there is none or it does not parse. */
    SharedPrivateEndpoint endpoint(String name) {
        final Entry entry = entries.get(name);
        return entry == null ? null : entry.endpoint();
    }

    /** Every endpoint that parses, in key order. */
    List<SharedPrivateEndpoint> endpoints() {
        if (endpoints == null) {
            final List<SharedPrivateEndpoint> list = new ArrayList<>(entries.size());
            for (Entry entry : entries.values()) {
                if (entry.endpoint() != null) {
                    list.add(entry.endpoint());
                }
            }
            endpoints = List.copyOf(list);
        }
        return endpoints;
    }

    /**
     * Every rule the set breaks (SPEC §4): keys that do not parse or whose name differs from the resource's,
     * and the endpoint rules. When the set was valid before, only the changed keys are checked, each against
     * the endpoints it could clash with.
     */
    List<ConfigError> errors(List<UpstreamConfig> upstreams) {
        final List<ConfigError> errors = new ArrayList<>();
        final Iterable<String> keys = dirty == null ? entries.keySet() : dirty;
        for (String name : keys) {
            final Entry entry = entries.get(name);
            if (entry == null) {
                continue;
            }
            if (entry.problem() != null) {
                errors.add(new ConfigError(key(name), 0, entry.problem().field(), entry.problem().getMessage()));
            } else if (!entry.endpoint().name().equals(name)) {
                errors.add(new ConfigError(key(name), 0, "name", "'" + entry.endpoint().name()
                        + "' differs from the name in the key (expected: the same name)"));
            }
        }
        if (dirty == null) {
            errors.addAll(located(ConfigLoader.validateEndpoints(endpoints(), upstreams, where), endpoints()));
            if (errors.isEmpty()) {
                reindex();
            }
        } else {
            for (String name : dirty) {
                final Entry entry = entries.get(name);
                if (entry != null && entry.endpoint() != null) {
                    final List<SharedPrivateEndpoint> related = related(entry.endpoint());
                    errors.addAll(located(ConfigLoader.validateEndpoints(related, upstreams, where), related));
                }
            }
        }
        // A set that breaks the rules is checked whole next time: the fix may be in any key.
        dirty = errors.isEmpty() ? new LinkedHashSet<>() : null;
        return errors;
    }

    /**
     * The problems of an admin API proposal against the endpoints it could clash with (SPEC §4 rules),
     * relative to the changed endpoint; none for a removal, which can break no rule.
     */
    List<EditOutcome.Problem> problems(EndpointChange.Proposal proposal, List<UpstreamConfig> upstreams) {
        final SharedPrivateEndpoint changed = proposal.changed();
        if (changed == null) {
            return List.of();
        }
        if (dirty == null) {
            // The stored set is not known to be valid: its index may be incomplete, so check it whole.
            return ProposalCheck.problems(proposal.endpoints(), changed, upstreams, where);
        }
        return ProposalCheck.problems(related(changed), changed, upstreams, where);
    }

    /**
     * The names of the stored endpoints a write of {@code endpoint} is validated against: those that share
     * its name (in any case), a prefix or its link id. Their keys must not change under the write.
     */
    List<String> relatedNames(SharedPrivateEndpoint endpoint) {
        final List<SharedPrivateEndpoint> related = related(endpoint);
        final List<String> names = new ArrayList<>(related.size() - 1);
        for (int i = 0; i < related.size() - 1; i++) {
            names.add(related.get(i).name());
        }
        return names;
    }

    /** {@code endpoint} last, after every other stored endpoint that shares its name, a prefix or its link id. */
    private List<SharedPrivateEndpoint> related(SharedPrivateEndpoint endpoint) {
        final Map<String, SharedPrivateEndpoint> others = new HashMap<>();
        final String own = endpoint.name().toLowerCase(Locale.ROOT);
        byName.othersInto(own, endpoint, others);
        for (IpPrefix ip : endpoint.privateIps()) {
            byPrefix.othersInto(ip.canonical(), endpoint, others);
        }
        if (endpoint.linkId() != null) {
            byLinkId.othersInto(endpoint.linkId().value(), endpoint, others);
        }
        final List<SharedPrivateEndpoint> list = new ArrayList<>(others.values());
        list.add(endpoint);
        return list;
    }

    private List<ConfigError> located(List<ConfigError> errors, List<SharedPrivateEndpoint> list) {
        final List<ConfigError> out = new ArrayList<>(errors.size());
        for (ConfigError error : errors) {
            final String path = error.keyPath();
            final int close = path.indexOf(']');
            if (path.startsWith("[") && close > 0) {
                final int index = Integer.parseInt(path.substring(1, close));
                final String rest = path.substring(close + 1);
                out.add(new ConfigError(key(list.get(index).name()), 0,
                        rest.startsWith(".") ? rest.substring(1) : rest, error.message()));
            } else {
                out.add(error);
            }
        }
        return out;
    }

    private void markDirty(String name) {
        endpoints = null;
        if (dirty != null) {
            dirty.add(name);
        }
    }

    private void changed(Set<String> keys) {
        endpoints = null;
        dirty = keys;
        inForce = false;
        putSinceInForce = null;
    }

    private void reindex() {
        byName.clear();
        byPrefix.clear();
        byLinkId.clear();
        for (Entry entry : entries.values()) {
            index(entry);
        }
    }

    private void index(Entry entry) {
        final SharedPrivateEndpoint endpoint = entry.endpoint();
        if (endpoint == null) {
            return;
        }
        byName.add(endpoint.name().toLowerCase(Locale.ROOT), endpoint);
        for (IpPrefix ip : endpoint.privateIps()) {
            byPrefix.add(ip.canonical(), endpoint);
        }
        if (endpoint.linkId() != null) {
            byLinkId.add(endpoint.linkId().value(), endpoint);
        }
    }

    private void unindex(Entry entry) {
        if (entry == null || entry.endpoint() == null) {
            return;
        }
        final SharedPrivateEndpoint endpoint = entry.endpoint();
        byName.remove(endpoint.name().toLowerCase(Locale.ROOT), endpoint);
        for (IpPrefix ip : endpoint.privateIps()) {
            byPrefix.remove(ip.canonical(), endpoint);
        }
        if (endpoint.linkId() != null) {
            byLinkId.remove(endpoint.linkId().value(), endpoint);
        }
    }

    private String name(byte[] key) {
        final String text = new String(key, StandardCharsets.UTF_8);
        return text.startsWith(prefix) ? text.substring(prefix.length()) : text;
    }

    private Path key(String name) {
        return printable("etcd:" + prefix + name);
    }

    /**
     * A key as a path an error can name. A key is any bytes: a control character or a lone surrogate (from
     * a JSON escape in a stored name) is written as {@code \\uXXXX}, since a path cannot hold them and the operator
     * must still be told which key to fix; so is every character past ASCII where the JVM's file-name
     * encoding cannot hold it (a POSIX locale).
     */
    static Path printable(String key) {
        try {
            return Path.of(escaped(key, false));
        } catch (InvalidPathException e) {
            return Path.of(escaped(key, true));
        }
    }

    private static String escaped(String key, boolean asciiOnly) {
        final StringBuilder text = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            final char c = key.charAt(i);
            final boolean pair = Character.isHighSurrogate(c) && i + 1 < key.length()
                    && Character.isLowSurrogate(key.charAt(i + 1));
            if (pair && !asciiOnly) {
                text.append(c).append(key.charAt(++i));
            } else if (Character.isISOControl(c) || Character.isSurrogate(c) || asciiOnly && c > 0x7e) {
                text.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                text.append(c);
            }
        }
        return text.toString();
    }

    /**
     * One key: its endpoint when the value parses, else why not.
     *
     * @param name the name in the key
     */
    record Entry(String name, long modRevision, SharedPrivateEndpoint endpoint, InvalidFieldException problem) {
        static Entry of(String name, byte[] value, long modRevision) {
            try {
                return new Entry(name, modRevision, EndpointResource.parse(value), null);
            } catch (InvalidFieldException e) {
                return new Entry(name, modRevision, null, e);
            } catch (IllegalArgumentException e) {
                return new Entry(name, modRevision, null, new InvalidFieldException("(value)", e.getMessage()));
            }
        }
    }
}
