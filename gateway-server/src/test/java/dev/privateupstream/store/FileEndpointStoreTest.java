package dev.privateupstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a reload of the endpoints file hands the policy as changed, so that it compiles only that. */
class FileEndpointStoreTest {
    private static final SharedPrivateEndpoint A = endpoint("a", EndpointStatus.PENDING, "10.0.0.1");
    private static final SharedPrivateEndpoint B = endpoint("b", EndpointStatus.APPROVED, "10.0.0.2");

    @Test
    void anApprovalIsTheOneEndpointChanged() {
        final SharedPrivateEndpoint approved = A.withStatus(EndpointStatus.APPROVED, "ok");
        assertThat(FileEndpointStore.changedFrom(List.of(A, B), List.of(approved, B))).containsExactly(approved);
    }

    @Test
    void aNewEndpointIsChangedAndAMoveIsNot() {
        final SharedPrivateEndpoint c = endpoint("c", EndpointStatus.PENDING, "10.0.0.3");
        assertThat(FileEndpointStore.changedFrom(List.of(A, B), List.of(B, c, A))).containsExactly(c);
    }

    @Test
    void aRemovalAsksForAWholeCompile() {
        assertThat(FileEndpointStore.changedFrom(List.of(A, B), List.of(B))).isNull();
        // A rename is a removal and a creation.
        assertThat(FileEndpointStore.changedFrom(List.of(A), List.of(endpoint("A2", EndpointStatus.PENDING,
                "10.0.0.1")))).isNull();
    }

    private static SharedPrivateEndpoint endpoint(String name, EndpointStatus status, String ip) {
        return new SharedPrivateEndpoint(name, "sites", "/subscriptions/0/providers/Microsoft.Web/sites/x", "",
                status, "", List.of(IpPrefix.parse(ip)), null);
    }
}
