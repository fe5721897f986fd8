package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EndpointDiffTest {
    private static SharedPrivateEndpoint endpoint(String name, EndpointStatus status, String address) {
        return new SharedPrivateEndpoint(name, "sites", "/r", null, status, null, List.of(IpPrefix.parse(address)),
                null);
    }

    private static EndpointDiff diff(List<SharedPrivateEndpoint> before, List<SharedPrivateEndpoint> after,
            int limit) {
        return EndpointDiff.between(before, byName(before)::get, after, byName(after)::get, limit);
    }

    private static Map<String, SharedPrivateEndpoint> byName(List<SharedPrivateEndpoint> endpoints) {
        final Map<String, SharedPrivateEndpoint> map = new HashMap<>();
        endpoints.forEach(e -> map.put(e.name(), e));
        return map;
    }

    @Test
    void findsCreatedUpdatedAndDeletedByNameAndValue() {
        final SharedPrivateEndpoint a = endpoint("a", EndpointStatus.PENDING, "10.0.0.1");
        final SharedPrivateEndpoint b = endpoint("b", EndpointStatus.PENDING, "10.0.0.2");
        final SharedPrivateEndpoint c = endpoint("c", EndpointStatus.APPROVED, "10.0.0.3");
        final SharedPrivateEndpoint bApproved = b.withStatus(EndpointStatus.APPROVED, "ok");
        final SharedPrivateEndpoint d = endpoint("d", EndpointStatus.PENDING, "10.0.0.4");
        // c is read again from a file: another object, the same value, so no change.
        final SharedPrivateEndpoint cAgain = endpoint("c", EndpointStatus.APPROVED, "10.0.0.3");
        final EndpointDiff diff = diff(List.of(a, b, c), List.of(d, cAgain, bApproved), 10);
        assertThat(diff.reset()).isFalse();
        assertThat(diff.changes()).containsExactly(
                new EndpointDiff.Change(EndpointDiff.Kind.CREATED, d),
                new EndpointDiff.Change(EndpointDiff.Kind.UPDATED, bApproved),
                new EndpointDiff.Change(EndpointDiff.Kind.DELETED, a));
    }

    @Test
    void theSameSetOrAnEqualOneChangesNothing() {
        final List<SharedPrivateEndpoint> set = List.of(endpoint("a", EndpointStatus.PENDING, "10.0.0.1"));
        assertThat(diff(set, set, 0).changes()).isEmpty();
        assertThat(diff(set, List.of(endpoint("a", EndpointStatus.PENDING, "10.0.0.1")), 0).changes()).isEmpty();
    }

    @Test
    void moreChangesThanTheLimitAreAReset() {
        final List<SharedPrivateEndpoint> before = new ArrayList<>();
        final List<SharedPrivateEndpoint> after = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            before.add(endpoint("old-" + i, EndpointStatus.PENDING, "10.0.0." + i));
            after.add(endpoint("new-" + i, EndpointStatus.PENDING, "10.0.1." + i));
        }
        assertThat(diff(before, after, 10).changes()).hasSize(10);
        assertThat(diff(before, after, 10).reset()).isFalse();
        final EndpointDiff over = diff(before, after, 9);
        assertThat(over.reset()).isTrue();
        assertThat(over.changes()).isEmpty();
        // Over the limit with creations alone, before deletions are even looked at.
        assertThat(diff(List.of(), after, 4).reset()).isTrue();
    }
}
