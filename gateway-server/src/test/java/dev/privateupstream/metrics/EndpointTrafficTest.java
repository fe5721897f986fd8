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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointTrafficTest {
    private static final SharedPrivateEndpoint SPE = new SharedPrivateEndpoint("spe", "sites", "r", null,
            EndpointStatus.APPROVED, null, List.of(IpPrefix.parse("10.0.0.1")), null);
    private static final MatchedRule RULE = new MatchedRule(SPE, IpPrefix.parse("10.0.0.1"));
    private static final Route ROUTE = new Route(0, new UpstreamConfig("u", "r", URI.create("http://127.0.0.1:1"),
            List.of(), null, null, null, 8), NamePattern.any(), NamePattern.any(), NamePattern.any());
    private static final Decision ALLOW = new Decision.Allow(RULE, ROUTE);
    private static final Decision PENDING = new Decision.Deny(DenyReason.ENDPOINT_PENDING, RULE, null);

    @Test
    void countsAllowedAndDeniedPerEndpoint() {
        final EndpointTraffic traffic = new EndpointTraffic();
        traffic.record(PENDING, Outcome.DENIED, DenyReason.ENDPOINT_PENDING, System.nanoTime());
        traffic.record(PENDING, Outcome.DENIED, DenyReason.ENDPOINT_PENDING, System.nanoTime());
        traffic.record(ALLOW, Outcome.FORWARDED, null, System.nanoTime());
        // Allowed by the decision, then refused by the signature check: a denial.
        traffic.record(ALLOW, Outcome.DENIED, DenyReason.INVALID_SIGNATURE, System.nanoTime());
        // Allowed, and the backend could not be reached: still a call the endpoint was allowed to make.
        traffic.record(ALLOW, Outcome.ERROR, null, System.nanoTime());
        final EndpointTraffic.Totals totals = traffic.totals("spe");
        assertThat(totals.allowed()).isEqualTo(2);
        assertThat(totals.denied()).isEqualTo(3);
    }

    @Test
    void keepsTheLastDecisionWithItsTimeAndReason() {
        final EndpointTraffic traffic = new EndpointTraffic();
        final Instant before = Instant.now();
        final long start = System.nanoTime();
        traffic.record(ALLOW, Outcome.FORWARDED, null, start);
        EndpointTraffic.LastDecision last = traffic.totals("spe").last();
        assertThat(last.allowed()).isTrue();
        assertThat(last.reason()).isNull();
        assertThat(last.time()).isBetween(before.minusMillis(1), Instant.now().plusMillis(1));

        traffic.record(ALLOW, Outcome.DENIED, DenyReason.INVALID_SIGNATURE, start + Duration.ofSeconds(3).toNanos());
        last = traffic.totals("spe").last();
        assertThat(last.allowed()).isFalse();
        assertThat(last.reason()).isEqualTo(DenyReason.INVALID_SIGNATURE);
        // The call's own start, not the moment it was recorded.
        assertThat(Duration.between(before, last.time())).isBetween(Duration.ofMillis(2_999),
                Duration.ofSeconds(3).plus(Duration.between(before, Instant.now())).plusMillis(1));

        // Every reason fits the word, the last one too.
        final DenyReason lastReason = DenyReason.values()[DenyReason.values().length - 1];
        traffic.record(PENDING, Outcome.DENIED, lastReason, start);
        assertThat(traffic.totals("spe").last().reason()).isEqualTo(lastReason);
        traffic.record(PENDING, Outcome.DENIED, null, start);
        assertThat(traffic.totals("spe").last().allowed()).isFalse();
        assertThat(traffic.totals("spe").last().reason()).isNull();
    }

    @Test
    void ignoresCallsThatMatchedNoEndpoint() {
        final EndpointTraffic traffic = new EndpointTraffic();
        traffic.record(new Decision.Deny(DenyReason.PUBLIC_NETWORK, null, null), Outcome.DENIED,
                DenyReason.PUBLIC_NETWORK, System.nanoTime());
        traffic.record(null, Outcome.ERROR, null, System.nanoTime());
        assertThat(traffic.totals("spe")).isEqualTo(EndpointTraffic.Totals.ZERO);
        assertThat(traffic.totals("spe").last()).isNull();
    }

    @Test
    void forgetsEndpointsNoLongerInForce() {
        final EndpointTraffic traffic = new EndpointTraffic();
        traffic.record(new Decision.Deny(DenyReason.ENDPOINT_REJECTED, RULE, null), Outcome.DENIED,
                DenyReason.ENDPOINT_REJECTED, System.nanoTime());
        traffic.retain("other"::equals);
        assertThat(traffic.totals("spe")).isEqualTo(EndpointTraffic.Totals.ZERO);
    }
}
