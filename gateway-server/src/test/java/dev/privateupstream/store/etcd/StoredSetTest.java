package dev.privateupstream.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.store.EditOutcome;
import dev.privateupstream.store.EndpointChange;
import dev.privateupstream.store.EndpointResource;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The endpoint keys as a replica holds them: revision order, validation, and checks that cost one endpoint. */
class StoredSetTest {
    private static final String PREFIX = "/pu/endpoints/";
    private static final String RESOURCE = "/subscriptions/0/providers/Microsoft.Web/sites/a";
    private static final List<UpstreamConfig> UPSTREAMS = List.of(new UpstreamConfig("a", RESOURCE,
            URI.create("http://127.0.0.1:1"), List.of(), null, null, null, 4));

    @Test
    void appliesEventsInRevisionOrderAndSkipsWhatItAlreadyHas() {
        final StoredSet set = loaded(10, endpoint("one", "10.0.0.1"));
        assertThat(set.apply(List.of(put(endpoint("two", "10.0.0.2"), 11), put(endpoint("one", "10.0.0.9"), 12))))
                .isTrue();
        assertThat(set.errors(UPSTREAMS)).isEmpty();
        assertThat(set.endpoints()).extracting(SharedPrivateEndpoint::name).containsExactly("one", "two");
        assertThat(set.endpoints().get(0).privateIps()).containsExactly(IpPrefix.parse("10.0.0.9"));
        assertThat(set.revision()).isEqualTo(12);
        assertThat(set.changeRevision()).isEqualTo(12);

        // A watch replaying revisions it already applied (after a resync) changes nothing.
        assertThat(set.apply(List.of(put(endpoint("three", "10.0.0.3"), 12)))).isFalse();
        assertThat(set.apply(List.of(delete("two", 13)))).isTrue();
        assertThat(set.endpoints()).extracting(SharedPrivateEndpoint::name).containsExactly("one");
    }

    @Test
    void aClashSeenOnTheWatchIsAnErrorNamingTheKeyAndTheFixIsFoundWherever() {
        final StoredSet set = loaded(5, endpoint("one", "10.0.0.1"));
        set.apply(List.of(put(endpoint("two", "10.0.0.1"), 6)));

        final List<ConfigError> errors = set.errors(UPSTREAMS);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.file().toString()).isEqualTo("etcd:" + PREFIX + "two");
            assertThat(e.message()).contains("10.0.0.1/32 is declared by both 'one'");
        });
        // The fix is in the other key: the whole set is checked again, and found valid.
        set.apply(List.of(delete("one", 7)));
        assertThat(set.errors(UPSTREAMS)).isEmpty();
    }

    @Test
    void refusesValuesThatDoNotParseOrNameAnotherEndpoint() {
        final StoredSet set = loaded(5);
        set.apply(List.of(new WatchEvent(WatchEvent.Type.PUT, kv("bad", "{\"name\":1}".getBytes(), 6)),
                put("renamed", endpoint("other", "10.0.0.5"), 7)));

        assertThat(set.errors(UPSTREAMS)).extracting(ConfigError::toString).containsExactlyInAnyOrder(
                "etcd:" + PREFIX + "bad:0: name: required: the endpoint's name as text",
                "etcd:" + PREFIX + "renamed:0: name: 'other' differs from the name in the key (expected: the same "
                        + "name)");
    }

    @Test
    void checksAWriteAgainstTheEndpointsItCouldClashWithOnly() {
        final List<SharedPrivateEndpoint> many = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            many.add(endpoint("e" + i, "10.1." + (i / 256) + "." + (i % 256)));
        }
        final StoredSet set = loaded(3, many.toArray(SharedPrivateEndpoint[]::new));
        assertThat(set.errors(UPSTREAMS)).isEmpty();

        final SharedPrivateEndpoint clash = endpoint("new", "10.1.0.7");
        final List<EditOutcome.Problem> problems = set.problems(proposal(set, clash), UPSTREAMS);
        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.keyPath()).isEqualTo("privateIps[0]");
            assertThat(p.message()).contains("'e7'");
        });
        assertThat(set.problems(proposal(set, endpoint("fine", "10.9.0.1")), UPSTREAMS)).isEmpty();
        // Changing an endpoint's own prefixes is no clash with its stored self.
        assertThat(set.problems(proposal(set, endpoint("e7", "10.1.0.7", "10.9.9.9")), UPSTREAMS)).isEmpty();
        // A name that differs only in case is the same endpoint in Azure: a clash.
        assertThat(set.problems(proposal(set, endpoint("E8", "10.8.0.1")), UPSTREAMS))
                .extracting(EditOutcome.Problem::keyPath).containsExactly("name");
    }

    @Test
    void ownWritesAreTakenAtTheirRevisionAndTheirEchoSkipped() {
        final StoredSet set = loaded(3, endpoint("one", "10.0.0.1"));
        set.errors(UPSTREAMS);
        final SharedPrivateEndpoint two = endpoint("two", "10.0.0.2");
        set.applyOwn(proposal(set, two), 9);

        assertThat(set.revision()).isEqualTo(9);
        assertThat(set.apply(List.of(put(two, 9)))).isFalse();
        assertThat(set.endpoints()).extracting(SharedPrivateEndpoint::name).containsExactly("one", "two");
    }

    @Test
    void aBatchThatMovesAClaimFromOneEndpointToTwoOthersIsAClash() {
        final StoredSet set = loaded(5, endpoint("a", "10.0.0.1"));
        assertThat(set.errors(UPSTREAMS)).isEmpty();
        // Found by StoredSetFuzzTest: with only the first claimant indexed, deleting it left the other two
        // unindexed, and the check after the batch found nothing.
        set.apply(List.of(put(endpoint("b", "10.0.0.1"), 6), put(endpoint("c", "10.0.0.1"), 7), delete("a", 8)));

        assertThat(set.errors(UPSTREAMS)).isNotEmpty().allSatisfy(e ->
                assertThat(e.message()).contains("10.0.0.1/32 is declared by both"));
        set.apply(List.of(delete("b", 9)));
        assertThat(set.errors(UPSTREAMS)).isEmpty();
    }

    @Test
    void aKeyOrNameAPathCannotHoldIsReportedWithItsCharactersEscaped() {
        final StoredSet set = loaded(5);
        set.apply(List.of(put("nul\u0000key", endpoint("nul", "10.0.0.1"), 6),
                put("surrogate", endpoint("x\ud800y", "10.0.0.2"), 7)));

        // Each is named, escaped where a path cannot hold it: the key with NUL (its name differs), the key
        // "surrogate" (likewise), and the name with the lone surrogate (not a valid endpoint name).
        assertThat(set.errors(UPSTREAMS)).extracting(e -> e.file().toString()).contains(
                "etcd:" + PREFIX + "nul\\u0000key", "etcd:" + PREFIX + "surrogate", "etcd:" + PREFIX + "x\\ud800y");
        assertThat(StoredSet.printable("etcd:/p/x\ud800y").toString()).isEqualTo("etcd:/p/x\\ud800y");
    }

    private static EndpointChange.Proposal proposal(StoredSet set, SharedPrivateEndpoint changed) {
        final List<SharedPrivateEndpoint> next = new ArrayList<>(set.endpoints());
        next.removeIf(e -> e.name().equals(changed.name()));
        next.add(changed);
        return new EndpointChange.Proposal(next, changed, true);
    }

    private static StoredSet loaded(long revision, SharedPrivateEndpoint... endpoints) {
        final StoredSet set = new StoredSet(PREFIX);
        final List<KeyValue> kvs = new ArrayList<>();
        for (SharedPrivateEndpoint e : endpoints) {
            kvs.add(kv(e.name(), EndpointResource.bytes(e), revision - 1));
        }
        set.reset(new EtcdEndpointStore.Snapshot(revision, kvs, 0));
        return set;
    }

    private static SharedPrivateEndpoint endpoint(String name, String... ips) {
        final List<IpPrefix> prefixes = new ArrayList<>();
        for (String ip : ips) {
            prefixes.add(IpPrefix.parse(ip));
        }
        return new SharedPrivateEndpoint(name, "sites", RESOURCE, "", EndpointStatus.APPROVED, "", prefixes, null);
    }

    private static WatchEvent put(SharedPrivateEndpoint e, long revision) {
        return put(e.name(), e, revision);
    }

    private static WatchEvent put(String keyName, SharedPrivateEndpoint e, long revision) {
        return new WatchEvent(WatchEvent.Type.PUT, kv(keyName, EndpointResource.bytes(e), revision));
    }

    private static WatchEvent delete(String name, long revision) {
        return new WatchEvent(WatchEvent.Type.DELETE, kv(name, new byte[0], revision));
    }

    private static KeyValue kv(String name, byte[] value, long revision) {
        return new KeyValue((PREFIX + name).getBytes(StandardCharsets.UTF_8), value, revision, revision, 1, 0);
    }
}
