package dev.privateupstream.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.AdminConfig;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.LimitsConfig;
import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every decision and reason of SPEC §5 that the snapshot answers, in the order the checks run. */
class PolicySnapshotTest {
    private static final String FUNC_A = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/func-a";
    private static final String FUNC_B = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/func-b";

    private static SharedPrivateEndpoint endpoint(String name, String resource, EndpointStatus status, Long linkId,
            String... prefixes) {
        return new SharedPrivateEndpoint(name, "sites", resource, "", status, "",
                Arrays.stream(prefixes).map(IpPrefix::parse).collect(Collectors.toList()),
                linkId == null ? null : new LinkId(linkId));
    }

    private static UpstreamConfig upstream(String name, String resource, List<String> hosts, String hub, String category,
            String event) {
        return new UpstreamConfig(name, resource, URI.create("http://127.0.0.1:7071"), hosts, hub, category, event, 16);
    }

    private static PolicySnapshot snapshot(List<UpstreamConfig> upstreams, SharedPrivateEndpoint... endpoints) {
        final GatewayConfig config = new GatewayConfig(Path.of("/tmp/gateway.yaml"),
                new ListenConfig("127.0.0.1", 0, null, ListenConfig.ProxyProtocolMode.DISABLED, List.of(),
                        ListenConfig.ForwardedHeader.NONE, false),
                LimitsConfig.DEFAULTS, new AdminConfig("127.0.0.1", 0, null), null, upstreams,
                Path.of("/tmp/endpoints.yaml"), null, List.of(endpoints));
        return PolicySnapshot.of(config, 7);
    }

    private static final List<UpstreamConfig> ONE = List.of(upstream("func-a", FUNC_A, List.of(), null, null, null));

    private static Decision decide(PolicySnapshot snapshot, String caller) {
        return snapshot.decide(CallFacts.of(IpAddress.parse(caller), "func-a.example"));
    }

    private static DenyReason reason(Decision decision) {
        return decision instanceof Decision.Deny ? ((Decision.Deny) decision).reason() : null;
    }

    @Test
    void allowsAnApprovedEndpointForItsUpstreamAndRecordsEndpointRuleAndRoute() {
        final PolicySnapshot snapshot = snapshot(ONE, endpoint("spe", FUNC_A, EndpointStatus.APPROVED, null, "10.1.0.0/28"));
        final Decision decision = decide(snapshot, "10.1.0.4");
        assertThat(decision).isInstanceOf(Decision.Allow.class);
        assertThat(decision.endpoint().name()).isEqualTo("spe");
        assertThat(decision.rule().prefix()).isEqualTo(IpPrefix.parse("10.1.0.0/28"));
        assertThat(decision.route().name()).isEqualTo("func-a");
        assertThat(snapshot.generation()).isEqualTo(7);
    }

    @Test
    void refusesCallersThatMatchNoEndpointAsPublicOrUnknownPrivate() {
        final PolicySnapshot snapshot = snapshot(ONE, endpoint("spe", FUNC_A, EndpointStatus.APPROVED, null, "10.1.0.4"));
        assertThat(reason(decide(snapshot, "203.0.113.9"))).isEqualTo(DenyReason.PUBLIC_NETWORK);
        assertThat(reason(decide(snapshot, "127.0.0.1"))).isEqualTo(DenyReason.PUBLIC_NETWORK);
        assertThat(reason(decide(snapshot, "169.254.1.1"))).isEqualTo(DenyReason.PUBLIC_NETWORK);
        assertThat(reason(decide(snapshot, "10.1.0.5"))).isEqualTo(DenyReason.UNKNOWN_PRIVATE_ENDPOINT);
        assertThat(reason(decide(snapshot, "172.16.0.1"))).isEqualTo(DenyReason.UNKNOWN_PRIVATE_ENDPOINT);
        assertThat(reason(decide(snapshot, "100.64.0.1"))).isEqualTo(DenyReason.UNKNOWN_PRIVATE_ENDPOINT);
        assertThat(reason(decide(snapshot, "fd00::1"))).isEqualTo(DenyReason.UNKNOWN_PRIVATE_ENDPOINT);
        assertThat(reason(decide(snapshot, "2001:db8::1"))).isEqualTo(DenyReason.PUBLIC_NETWORK);
        assertThat(decide(snapshot, "203.0.113.9").endpoint()).isNull();
    }

    @Test
    void refusesEachStatusOtherThanApprovedWithItsReason() {
        final PolicySnapshot snapshot = snapshot(ONE,
                endpoint("p", FUNC_A, EndpointStatus.PENDING, null, "10.0.0.1"),
                endpoint("r", FUNC_A, EndpointStatus.REJECTED, null, "10.0.0.2"),
                endpoint("d", FUNC_A, EndpointStatus.DISCONNECTED, null, "10.0.0.3"),
                endpoint("t", FUNC_A, EndpointStatus.TIMEOUT, null, "10.0.0.4"));
        assertThat(reason(decide(snapshot, "10.0.0.1"))).isEqualTo(DenyReason.ENDPOINT_PENDING);
        assertThat(reason(decide(snapshot, "10.0.0.2"))).isEqualTo(DenyReason.ENDPOINT_REJECTED);
        assertThat(reason(decide(snapshot, "10.0.0.3"))).isEqualTo(DenyReason.ENDPOINT_DISCONNECTED);
        assertThat(reason(decide(snapshot, "10.0.0.4"))).isEqualTo(DenyReason.ENDPOINT_TIMEOUT);
        assertThat(decide(snapshot, "10.0.0.1").endpoint().name()).isEqualTo("p");
    }

    @Test
    void mappedIpv4SourcesMatchIpv4Rules() {
        final PolicySnapshot snapshot = snapshot(ONE, endpoint("spe", FUNC_A, EndpointStatus.APPROVED, null, "10.1.0.4"));
        assertThat(decide(snapshot, "::ffff:10.1.0.4").allowed()).isTrue();
    }

    @Test
    void longestPrefixWinsSoANestedPendingEndpointIsRefusedInsideAnApprovedRange() {
        final PolicySnapshot snapshot = snapshot(ONE,
                endpoint("wide", FUNC_A, EndpointStatus.APPROVED, null, "10.0.0.0/8"),
                endpoint("narrow", FUNC_A, EndpointStatus.PENDING, null, "10.1.2.0/24"));
        assertThat(decide(snapshot, "10.9.9.9").allowed()).isTrue();
        assertThat(reason(decide(snapshot, "10.1.2.3"))).isEqualTo(DenyReason.ENDPOINT_PENDING);
        assertThat(decide(snapshot, "10.1.2.3").endpoint().name()).isEqualTo("narrow");
    }

    @Test
    void wrongUpstreamWhenApprovedForAnotherResource() {
        final List<UpstreamConfig> two = List.of(upstream("func-a", FUNC_A, List.of("func-a.example"), null, null, null),
                upstream("func-b", FUNC_B, List.of("func-b.example"), null, null, null));
        final PolicySnapshot snapshot = snapshot(two, endpoint("b-only", FUNC_B, EndpointStatus.APPROVED, null, "10.2.0.1"));
        final Decision toA = snapshot.decide(CallFacts.of(IpAddress.parse("10.2.0.1"), "FUNC-A.example:443"));
        assertThat(reason(toA)).isEqualTo(DenyReason.WRONG_UPSTREAM);
        assertThat(toA.route().name()).isEqualTo("func-a");
        assertThat(snapshot.decide(CallFacts.of(IpAddress.parse("10.2.0.1"), "func-b.example")).allowed()).isTrue();
    }

    @Test
    void noRouteComesAfterTheEndpointMatchAndBeforeItsStatus() {
        final List<UpstreamConfig> hosted = List.of(upstream("func-a", FUNC_A, List.of("func-a.example"), null, null, null));
        final PolicySnapshot snapshot = snapshot(hosted, endpoint("p", FUNC_A, EndpointStatus.PENDING, null, "10.0.0.1"));
        assertThat(reason(snapshot.decide(CallFacts.of(IpAddress.parse("10.0.0.1"), "other.example"))))
                .isEqualTo(DenyReason.NO_ROUTE);
        assertThat(reason(snapshot.decide(CallFacts.of(IpAddress.parse("10.0.0.1"), null)))).isEqualTo(DenyReason.NO_ROUTE);
        // A public caller learns nothing about routing.
        assertThat(reason(snapshot.decide(CallFacts.of(IpAddress.parse("8.8.8.8"), "other.example"))))
                .isEqualTo(DenyReason.PUBLIC_NETWORK);
    }

    @Test
    void routesByPatternsFirstMatchInFileOrder() {
        final List<UpstreamConfig> patterned = List.of(
                upstream("connections", FUNC_A, List.of(), "chat", "connections", null),
                upstream("broadcasts", FUNC_A, List.of(), "chat,news", "messages", "broadcast, echo"),
                upstream("rest", FUNC_A, List.of(), "*", null, null));
        final PolicySnapshot snapshot = snapshot(patterned, endpoint("spe", FUNC_A, EndpointStatus.APPROVED, null, "10.0.0.1"));
        final IpAddress caller = IpAddress.parse("10.0.0.1");
        assertThat(snapshot.decide(new CallFacts(caller, null, "h", "Chat", "connections", "connected")).route().name())
                .isEqualTo("connections");
        assertThat(snapshot.decide(new CallFacts(caller, null, "h", "news", "messages", "ECHO")).route().name())
                .isEqualTo("broadcasts");
        assertThat(snapshot.decide(new CallFacts(caller, null, "h", "news", "messages", "send")).route().name())
                .isEqualTo("rest");
        assertThat(snapshot.decide(CallFacts.of(caller, "h")).route().name()).isEqualTo("rest");
    }

    @Test
    void linkIdRulesOneAndTwo() {
        final PolicySnapshot snapshot = snapshot(ONE,
                endpoint("link-only", FUNC_A, EndpointStatus.APPROVED, 520093697L),
                endpoint("link-and-ips", FUNC_A, EndpointStatus.APPROVED, 42L, "10.3.0.0/24"),
                endpoint("ips-only", FUNC_A, EndpointStatus.APPROVED, null, "10.4.0.0/24"));
        final IpAddress nat = IpAddress.parse("10.9.0.7");
        // Rule 1: the declared link id names the endpoint, whatever the (NAT) source.
        assertThat(snapshot.decide(new CallFacts(nat, new LinkId(520093697L), "h", null, null, null)).endpoint().name())
                .isEqualTo("link-only");
        // Rule 1 with privateIps: the caller must also be in them.
        assertThat(snapshot.decide(new CallFacts(IpAddress.parse("10.3.0.9"), new LinkId(42), "h", null, null, null))
                .allowed()).isTrue();
        assertThat(reason(snapshot.decide(new CallFacts(nat, new LinkId(42), "h", null, null, null))))
                .isEqualTo(DenyReason.LINK_ID_MISMATCH);
        // Rule 2: matched by address, but the endpoint declares a link id the call does not carry.
        assertThat(reason(snapshot.decide(CallFacts.of(IpAddress.parse("10.3.0.9"), "h"))))
                .isEqualTo(DenyReason.LINK_ID_MISMATCH);
        assertThat(reason(snapshot.decide(new CallFacts(IpAddress.parse("10.3.0.9"), new LinkId(7), "h", null, null, null))))
                .isEqualTo(DenyReason.LINK_ID_MISMATCH);
        // An unknown link id falls back to the address; an endpoint without link id is matched normally.
        assertThat(snapshot.decide(new CallFacts(IpAddress.parse("10.4.0.1"), new LinkId(7), "h", null, null, null))
                .allowed()).isTrue();
        // An endpoint with only a link id is never matched by address.
        assertThat(reason(snapshot.decide(CallFacts.of(nat, "h")))).isEqualTo(DenyReason.UNKNOWN_PRIVATE_ENDPOINT);
    }

    @Test
    void canEverAllowIsTrueOnlyForSourcesAnApprovedAddressRuleHolds() {
        final PolicySnapshot snapshot = snapshot(ONE,
                endpoint("ok", FUNC_A, EndpointStatus.APPROVED, null, "10.0.0.0/24"),
                endpoint("pending", FUNC_A, EndpointStatus.PENDING, null, "10.0.0.128/25"),
                endpoint("linked", FUNC_A, EndpointStatus.APPROVED, 5L, "10.5.0.0/24"));
        assertThat(snapshot.canEverAllow(IpAddress.parse("10.0.0.1"))).isTrue();
        assertThat(snapshot.canEverAllow(IpAddress.parse("10.0.0.200"))).isFalse();
        assertThat(snapshot.canEverAllow(IpAddress.parse("10.5.0.1"))).isFalse();
        assertThat(snapshot.canEverAllow(IpAddress.parse("8.8.8.8"))).isFalse();
    }

    @Test
    void countsEndpointsByStatus() {
        final PolicySnapshot snapshot = snapshot(ONE,
                endpoint("a", FUNC_A, EndpointStatus.APPROVED, null, "10.0.0.1"),
                endpoint("b", FUNC_A, EndpointStatus.APPROVED, null, "10.0.0.2"),
                endpoint("c", FUNC_A, EndpointStatus.PENDING, null, "10.0.0.3"));
        assertThat(snapshot.endpointCounts()).containsEntry(EndpointStatus.APPROVED, 2)
                .containsEntry(EndpointStatus.PENDING, 1).containsEntry(EndpointStatus.TIMEOUT, 0);
    }
}
