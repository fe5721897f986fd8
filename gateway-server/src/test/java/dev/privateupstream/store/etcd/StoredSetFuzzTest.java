package dev.privateupstream.store.etcd;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.store.EndpointResource;
import dev.privateupstream.store.InvalidFieldException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Coverage-guided fuzzing (Jazzer) of the endpoint keys as a replica reads them from etcd (SPEC §10):
 * {@link StoredSet} over a whole read, then batches of watch events, each followed by the validation a replica
 * runs before it puts a set in force. Keys and values are whatever the store holds: endpoints as the gateway
 * writes them (names, prefixes and link ids from small pools, so that they clash), the same with a byte
 * changed, any bytes, keys outside the prefix or not UTF-8.
 *
 * <ul>
 *   <li>Nothing throws: a key that cannot be taken is an error of the set, never an exception of the replica.</li>
 *   <li>The endpoints are exactly the values that parse ({@link EndpointResource#parse}), in key order, and every
 *       value that does not parse is an error naming its key and the field.</li>
 *   <li>The check after a batch of events, which looks only at the changed keys when the set was valid, finds the
 *       set valid exactly when a whole check of the same keys by a new set does: an invalid set is never put in
 *       force because only part of it was looked at.</li>
 * </ul>
 *
 * <p>In the default build only the seeds under {@code StoredSetFuzzTestInputs/} run; {@code JAZZER_FUZZ=1} fuzzes
 * (see the README, "Fuzzing").
 */
class StoredSetFuzzTest {
    private static final String PREFIX = "/pu/endpoints/";
    private static final String RESOURCE = "/subscriptions/0/providers/Microsoft.Web/sites/a";
    private static final List<UpstreamConfig> UPSTREAMS = List.of(new UpstreamConfig("a", RESOURCE,
            URI.create("http://127.0.0.1:1"), List.of(), null, null, null, 4));
    private static final String[] NAMES = {"a", "b", "c", "A", "spe-1"};
    private static final String[] PREFIXES = {"10.0.0.1", "10.0.0.0/30", "10.0.0.2", "fd00::1", "::ffff:10.0.0.1"};

    @FuzzTest(maxDuration = "10m")
    void storedKeysNeverBreakTheReplica(FuzzedDataProvider data) {
        final StoredSet set = new StoredSet(PREFIX);
        final TreeMap<String, byte[]> model = new TreeMap<>();
        long revision = data.consumeLong(1, 1000);
        final List<KeyValue> kvs = new ArrayList<>();
        for (int n = data.consumeInt(0, 6); n > 0; n--) {
            final byte[] key = key(data);
            final KeyValue kv = new KeyValue(key, value(data, key), 1, data.consumeLong(1, revision), 1, 0);
            kvs.add(kv);
            model.put(name(key), kv.value());
        }
        final long guard = data.consumeLong(0, revision);
        set.reset(new EtcdEndpointStore.Snapshot(revision, kvs, guard));
        check(set, model, "after the whole read of " + kvs);
        for (int batch = data.consumeInt(0, 4); batch > 0; batch--) {
            final List<WatchEvent> events = new ArrayList<>();
            for (int n = data.consumeInt(1, 4); n > 0; n--) {
                final byte[] key = key(data);
                // Mostly new revisions; now and then one the set already has, which it must skip.
                final boolean fresh = data.consumeInt(0, 9) != 0;
                final long at = fresh ? ++revision : data.consumeLong(1, revision);
                final boolean delete = data.consumeInt(0, 3) == 0;
                final byte[] value = delete ? new byte[0] : value(data, key);
                events.add(new WatchEvent(delete ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT,
                        new KeyValue(key, value, at, at, 1, 0)));
                if (fresh) {
                    if (delete) {
                        model.remove(name(key));
                    } else {
                        model.put(name(key), value);
                    }
                }
            }
            set.apply(events);
            check(set, model, "after " + events);
        }
    }

    private static void check(StoredSet set, TreeMap<String, byte[]> model, String when) {
        final List<ConfigError> errors = set.errors(UPSTREAMS);
        final List<SharedPrivateEndpoint> parsed = new ArrayList<>();
        for (Map.Entry<String, byte[]> entry : model.entrySet()) {
            // As the set names a key's file (a path: doubled slashes fold, as in an error message).
            final String key = StoredSet.printable("etcd:" + PREFIX + entry.getKey()).toString();
            try {
                parsed.add(EndpointResource.parse(entry.getValue()));
            } catch (InvalidFieldException e) {
                if (errors.stream().noneMatch(error -> error.file().toString().equals(key)
                        && error.keyPath().equals(e.field()))) {
                    throw new AssertionError("no error names " + key + " " + e.field() + " (" + e.getMessage()
                            + "): " + errors + "; " + when);
                }
            } catch (IllegalArgumentException e) {
                if (errors.stream().noneMatch(error -> error.file().toString().equals(key))) {
                    throw new AssertionError("no error names " + key + " (" + e.getMessage() + "); " + when);
                }
            }
        }
        if (!set.endpoints().equals(parsed)) {
            throw new AssertionError("endpoints " + set.endpoints() + ", expected " + parsed + "; " + when);
        }
        final StoredSet whole = new StoredSet(PREFIX);
        final List<KeyValue> kvs = new ArrayList<>();
        model.forEach((name, value) -> kvs.add(new KeyValue((PREFIX + name).getBytes(StandardCharsets.UTF_8), value,
                1, 1, 1, 0)));
        whole.reset(new EtcdEndpointStore.Snapshot(set.revision(), kvs, 0));
        final List<ConfigError> wholeErrors = whole.errors(UPSTREAMS);
        if (errors.isEmpty() != wholeErrors.isEmpty()) {
            throw new AssertionError("the check after the change found " + errors + ", a whole check " + wholeErrors
                    + "; " + when);
        }
    }

    /** A key under the prefix (a pooled or fuzzed name), now and then one outside it or not UTF-8. */
    private static byte[] key(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 7)) {
            case 0 -> data.consumeBytes(24);
            case 1 -> (PREFIX + data.consumeString(12)).getBytes(StandardCharsets.UTF_8);
            default -> (PREFIX + data.pickValue(NAMES)).getBytes(StandardCharsets.UTF_8);
        };
    }

    /** The name the set files a key under, as it does: the text after the prefix, or the whole key. */
    private static String name(byte[] key) {
        final String text = new String(key, StandardCharsets.UTF_8);
        return text.startsWith(PREFIX) ? text.substring(PREFIX.length()) : text;
    }

    /** An endpoint as the gateway writes it (named as its key, mostly), the same with a byte changed, or any bytes. */
    private static byte[] value(FuzzedDataProvider data, byte[] key) {
        final int kind = data.consumeInt(0, 7);
        if (kind == 0) {
            return data.consumeBytes(300);
        }
        final String name = kind == 1 ? data.pickValue(NAMES) : name(key);
        final List<IpPrefix> prefixes = new ArrayList<>();
        for (int n = data.consumeInt(0, 2); n > 0; n--) {
            prefixes.add(IpPrefix.parse(data.pickValue(PREFIXES)));
        }
        final LinkId linkId = prefixes.isEmpty() || data.consumeBoolean() ? new LinkId(data.consumeInt(0, 2)) : null;
        final byte[] json = EndpointResource.bytes(new SharedPrivateEndpoint(name, data.consumeBoolean() ? "sites" : "",
                data.consumeInt(0, 4) == 0 ? "/subscriptions/0/other" : RESOURCE, "", data.pickValue(
                EndpointStatus.values()), "", prefixes, linkId));
        if (kind == 2 && json.length > 0) {
            json[data.consumeInt(0, json.length - 1)] = data.consumeByte();
        }
        return json;
    }
}
