package dev.privateupstream.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.MatchedRule;
import dev.privateupstream.policy.NamePattern;
import dev.privateupstream.policy.Route;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointTrafficTest {
    private static final SharedPrivateEndpoint SPE = new SharedPrivateEndpoint("spe", "sites", "r", null,
            EndpointStatus.APPROVED, null, List.of(IpPrefix.parse("10.0.0.1")), null);
    private static final MatchedRule RULE = new MatchedRule(SPE, IpPrefix.parse("10.0.0.1"));

    @Test
    void countsAllowedAndDeniedPerEndpoint() {
        final EndpointTraffic traffic = new EndpointTraffic();
        final Decision deny = new Decision.Deny(DenyReason.ENDPOINT_PENDING, RULE, null);
        traffic.record(deny, Outcome.DENIED);
        traffic.record(deny, Outcome.DENIED);
        final Route route = new Route(0, new UpstreamConfig("u", "r", URI.create("http://127.0.0.1:1"), List.of(),
                null, null, null, 8), NamePattern.any(), NamePattern.any(), NamePattern.any());
        final Decision allow = new Decision.Allow(RULE, route);
        traffic.record(allow, Outcome.FORWARDED);
        // Allowed by the decision, then refused by the signature check: a denial.
        traffic.record(allow, Outcome.DENIED);
        // Allowed, and the backend could not be reached: still a call the endpoint was allowed to make.
        traffic.record(allow, Outcome.ERROR);
        assertThat(traffic.totals("spe")).isEqualTo(new EndpointTraffic.Totals(2, 3));
    }

    @Test
    void ignoresCallsThatMatchedNoEndpoint() {
        final EndpointTraffic traffic = new EndpointTraffic();
        traffic.record(new Decision.Deny(DenyReason.PUBLIC_NETWORK, null, null), Outcome.DENIED);
        traffic.record(null, Outcome.ERROR);
        assertThat(traffic.totals("spe")).isEqualTo(EndpointTraffic.Totals.ZERO);
    }

    @Test
    void forgetsEndpointsNoLongerInForce() {
        final EndpointTraffic traffic = new EndpointTraffic();
        traffic.record(new Decision.Deny(DenyReason.ENDPOINT_REJECTED, RULE, null), Outcome.DENIED);
        traffic.retain("other"::equals);
        assertThat(traffic.totals("spe")).isEqualTo(EndpointTraffic.Totals.ZERO);
    }
}
