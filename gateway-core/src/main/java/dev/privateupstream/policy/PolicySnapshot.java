package dev.privateupstream.policy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.SignalRConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.net.PrefixTable;
import dev.privateupstream.signalr.SignatureVerifier;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One immutable configuration in force, compiled for the access decision (SPEC §5).
 *
 * <p>Built off the event loop from a validated {@link GatewayConfig}; the proxy, {@code explain} and the
 * benchmarks all call the same {@link #decide(CallFacts)}. Every possible {@link Decision} is built here,
 * once per rule and route, so deciding walks the prefix table and the routes and allocates nothing.
 */
public final class PolicySnapshot {
    private static final Decision PUBLIC_NETWORK = new Decision.Deny(DenyReason.PUBLIC_NETWORK, null, null);
    private static final Decision UNKNOWN_PRIVATE_ENDPOINT =
            new Decision.Deny(DenyReason.UNKNOWN_PRIVATE_ENDPOINT, null, null);

    private final GatewayConfig config;
    private final long generation;
    private final Route[] routes;
    private final List<Route> routeList;
    /** By longest prefix: the {@link RuleDecisions#outcomes} of each rule, so one object holds the answer. */
    private final PrefixTable<Decision[]> byAddress;
    /**
     * The same outcomes laid out flat, {@link #stride} per table slot: the decision is one load away from
     * the lookup instead of two (the slot's array, then its element), which at 100,000 prefixes is a
     * cache miss less per call.
     */
    private final Decision[] outcomesBySlot;
    private final int stride;
    private final Map<LinkId, RuleDecisions> byLinkId;
    private final Map<String, SharedPrivateEndpoint> endpointsByName;
    private final SignatureVerifier signatureVerifier;

    private PolicySnapshot(GatewayConfig config, long generation) {
        this.config = config;
        this.generation = generation;
        final SignalRConfig signalr = config.signalr();
        signatureVerifier = signalr == null || signalr.accessKeys().isEmpty()
                ? null : new SignatureVerifier(signalr.accessKeys());
        final List<UpstreamConfig> upstreams = config.upstreams();
        routes = new Route[upstreams.size()];
        for (int i = 0; i < routes.length; i++) {
            routes[i] = Route.of(i, upstreams.get(i));
        }
        routeList = List.of(routes);

        final PrefixTable.Builder<Decision[]> table = PrefixTable.builder();
        byLinkId = new HashMap<>();
        endpointsByName = new HashMap<>();
        for (SharedPrivateEndpoint endpoint : config.endpoints()) {
            endpointsByName.put(endpoint.name(), endpoint);
            for (IpPrefix prefix : endpoint.privateIps()) {
                table.add(prefix, new RuleDecisions(new MatchedRule(endpoint, prefix), routes).outcomes);
            }
            if (endpoint.linkId() != null) {
                byLinkId.put(endpoint.linkId(), new RuleDecisions(new MatchedRule(endpoint, null), routes));
            }
        }
        byAddress = table.build();
        stride = routes.length + 1;
        outcomesBySlot = new Decision[byAddress.slots() * stride];
        for (int slot = 0; slot < byAddress.slots(); slot++) {
            final Decision[] outcomes = byAddress.valueAt(slot);
            if (outcomes != null) {
                System.arraycopy(outcomes, 0, outcomesBySlot, slot * stride, stride);
            }
        }
    }

    /**
     * Compiles a validated configuration.
     *
     * @param generation increases with every snapshot put in force, so per-connection caches can tell
     *        whether they are stale
     */
    public static PolicySnapshot of(GatewayConfig config, long generation) {
        return new PolicySnapshot(requireNonNull(config, "config"), generation);
    }

    /** The decision for a call, in the check order of SPEC §5 up to and including the endpoint's status. */
    public Decision decide(CallFacts facts) {
        final IpAddress caller = facts.caller();
        final LinkId linkId = facts.linkId();
        if (linkId != null) {
            // Rule 1: a declared link id names the endpoint; its privateIps, if any, must hold the caller.
            final RuleDecisions matched = byLinkId.get(linkId);
            if (matched != null) {
                if (matched.ownPrefixes != null && matched.ownPrefixes.lookup(caller) == null) {
                    return matched.linkIdMismatch;
                }
                return route(matched.outcomes, facts);
            }
        }
        // Rule 2: the longest prefix; an endpoint that declares a link id must be reached by it, which its
        // outcomes say whatever the route.
        final int slot = byAddress.slotOf(caller);
        if (slot < 0) {
            return caller.addressClass().isPrivate() ? UNKNOWN_PRIVATE_ENDPOINT : PUBLIC_NETWORK;
        }
        return outcomesBySlot[slot * stride + routeIndex(facts)];
    }

    /** The outcome for the first route that serves the call, or the last one, {@code no-route}. */
    private Decision route(Decision[] outcomes, CallFacts facts) {
        return outcomes[routeIndex(facts)];
    }

    /** The index of the first route that serves the call, or the number of routes ({@code no-route}). */
    private int routeIndex(CallFacts facts) {
        for (Route route : routes) {
            if (route.matches(facts)) {
                return route.index();
            }
        }
        return routes.length;
    }

    /**
     * Whether a connection from {@code source}, carrying no link id, could have any request allowed: used to
     * refuse connections at accept ({@code listen.rejectAtConnect}).
     */
    public boolean canEverAllow(IpAddress source) {
        final Decision[] outcomes = byAddress.lookup(source);
        if (outcomes == null) {
            return false;
        }
        for (Decision d : outcomes) {
            if (d.allowed()) {
                return true;
            }
        }
        return false;
    }

    /** The first route that serves the call, or {@code null}. */
    public Route route(CallFacts facts) {
        for (Route route : routes) {
            if (route.matches(facts)) {
                return route;
            }
        }
        return null;
    }

    /** The verifier of {@code X-ASRS-Signature} under the configured access keys, or {@code null} when none. */
    public SignatureVerifier signatureVerifier() {
        return signatureVerifier;
    }

    /** Whether calls without a valid signature are refused ({@code signalr.requireSignature}). */
    public boolean requireSignature() {
        return config.signalr() != null && config.signalr().requireSignature();
    }

    /** Whether calls that are not well-formed SignalR upstream calls are refused ({@code signalr.validateRequests}). */
    public boolean validateRequests() {
        return config.signalr() != null && config.signalr().validateRequests();
    }

    public GatewayConfig config() {
        return config;
    }

    public long generation() {
        return generation;
    }

    /** The routes in priority order. */
    public List<Route> routes() {
        return routeList;
    }

    /** The endpoint of that name, or {@code null}. */
    public SharedPrivateEndpoint endpoint(String name) {
        return endpointsByName.get(name);
    }

    /** How many endpoints are in each status (every status present, zero included). */
    public Map<EndpointStatus, Integer> endpointCounts() {
        final Map<EndpointStatus, Integer> counts = new EnumMap<>(EndpointStatus.class);
        for (EndpointStatus status : EndpointStatus.values()) {
            counts.put(status, 0);
        }
        for (SharedPrivateEndpoint endpoint : config.endpoints()) {
            counts.merge(endpoint.status(), 1, Integer::sum);
        }
        return counts;
    }

    /** Every decision one rule can lead to, built once. */
    private static final class RuleDecisions {
        final Decision linkIdMismatch;
        /**
         * The decision for each route by index, then {@code no-route}; for a rule matched by address whose
         * endpoint declares a link id, {@code link-id-mismatch} throughout (SPEC §5 rule 2). The prefix table
         * holds this array itself: with a large table every object between the lookup and the answer
         * would be one more cache miss.
         */
        final Decision[] outcomes;
        /** The endpoint's own prefixes when it is matched by link id and also declares privateIps. */
        final PrefixTable<Boolean> ownPrefixes;

        RuleDecisions(MatchedRule rule, Route[] routes) {
            final SharedPrivateEndpoint endpoint = rule.endpoint();
            linkIdMismatch = new Decision.Deny(DenyReason.LINK_ID_MISMATCH, rule, null);
            final Decision noRoute = new Decision.Deny(DenyReason.NO_ROUTE, rule, null);
            final boolean mustCarryLinkId = !rule.byLinkId() && endpoint.linkId() != null;
            outcomes = new Decision[routes.length + 1];
            for (Route route : routes) {
                outcomes[route.index()] = mustCarryLinkId ? linkIdMismatch : decide(rule, route);
            }
            outcomes[routes.length] = mustCarryLinkId ? linkIdMismatch : noRoute;
            if (rule.byLinkId() && !endpoint.privateIps().isEmpty()) {
                final PrefixTable.Builder<Boolean> own = PrefixTable.builder();
                endpoint.privateIps().forEach(p -> own.add(p, Boolean.TRUE));
                ownPrefixes = own.build();
            } else {
                ownPrefixes = null;
            }
        }

        private static Decision decide(MatchedRule rule, Route route) {
            final SharedPrivateEndpoint endpoint = rule.endpoint();
            switch (endpoint.status()) {
                case PENDING:
                    return new Decision.Deny(DenyReason.ENDPOINT_PENDING, rule, route);
                case REJECTED:
                    return new Decision.Deny(DenyReason.ENDPOINT_REJECTED, rule, route);
                case DISCONNECTED:
                    return new Decision.Deny(DenyReason.ENDPOINT_DISCONNECTED, rule, route);
                case TIMEOUT:
                    return new Decision.Deny(DenyReason.ENDPOINT_TIMEOUT, rule, route);
                case APPROVED:
                    // Azure resource ids compare case-insensitively.
                    if (!endpoint.privateLinkResourceId().equalsIgnoreCase(route.upstream().resourceId())) {
                        return new Decision.Deny(DenyReason.WRONG_UPSTREAM, rule, route);
                    }
                    return new Decision.Allow(rule, route);
                default:
                    throw new IllegalStateException("status: " + endpoint.status());
            }
        }
    }
}
