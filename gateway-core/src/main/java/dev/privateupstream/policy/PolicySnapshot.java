package dev.privateupstream.policy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.IdentityConfig;
import dev.privateupstream.config.SignalRConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.config.UpstreamProtocol;
import dev.privateupstream.config.WebPubSubConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.net.PrefixTable;
import dev.privateupstream.signalr.SignatureVerifier;
import dev.privateupstream.webpubsub.AllowedOrigins;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One immutable configuration in force, compiled for the access decision (SPEC §5).
 *
 * <p>Built off the event loop from a validated {@link GatewayConfig}; the proxy, {@code explain} and the
 * benchmarks all call the same {@link #decide(CallFacts)}. Every possible {@link Decision} is built here,
 * once per rule and route, so deciding walks the prefix table and the routes and allocates nothing.
 *
 * <p>Compiling 100,000 endpoints takes tens of milliseconds, too long to pay for every approval. So
 * {@link #withChanged} builds the next snapshot from this one: the compiled tables are shared, and the
 * endpoints changed since they were compiled (new ones, or new statuses of existing ones, with the same
 * prefixes and link id) go into a small overlay consulted first, where the longer prefix wins and an equal
 * one is the overlay's. A removal, a change of prefixes or link id, other upstreams, or an overlay grown
 * past {@link #MAX_OVERLAY} endpoints compile the whole set instead.
 */
public final class PolicySnapshot {
    private static final Decision PUBLIC_NETWORK = new Decision.Deny(DenyReason.PUBLIC_NETWORK, null, null);
    private static final Decision UNKNOWN_PRIVATE_ENDPOINT =
            new Decision.Deny(DenyReason.UNKNOWN_PRIVATE_ENDPOINT, null, null);

    private final GatewayConfig config;
    private final long generation;
    private final boolean endpointsLoaded;
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
    private final SignatureVerifier webPubSubVerifier;
    private final AllowedOrigins allowedOrigins;
    private final boolean routesWebPubSub;
    /** Endpoints changed since the tables above were compiled, or {@code null}. */
    private final Overlay overlay;
    /** How many endpoints are in each status, by ordinal: kept, not counted again, on a change. */
    private final int[] statusCounts;

    /** More changed endpoints than this since the last whole compile, and the next change compiles anew. */
    public static final int MAX_OVERLAY = 256;

    /** The next snapshot on the tables of {@code base}, with {@code overlay} consulted first. */
    private PolicySnapshot(PolicySnapshot base, GatewayConfig config, long generation, Overlay overlay,
            int[] statusCounts) {
        this.statusCounts = statusCounts;
        this.config = config;
        this.generation = generation;
        this.endpointsLoaded = true;
        this.signatureVerifier = base.signatureVerifier;
        this.webPubSubVerifier = base.webPubSubVerifier;
        this.allowedOrigins = base.allowedOrigins;
        this.routesWebPubSub = base.routesWebPubSub;
        this.routes = base.routes;
        this.routeList = base.routeList;
        this.byAddress = base.byAddress;
        this.outcomesBySlot = base.outcomesBySlot;
        this.stride = base.stride;
        this.byLinkId = base.byLinkId;
        this.endpointsByName = base.endpointsByName;
        this.overlay = overlay;
    }

    private PolicySnapshot(GatewayConfig config, long generation, boolean endpointsLoaded) {
        this.config = config;
        this.generation = generation;
        this.endpointsLoaded = endpointsLoaded;
        this.overlay = null;
        this.statusCounts = new int[EndpointStatus.values().length];
        final SignalRConfig signalr = config.signalr();
        signatureVerifier = signalr == null || signalr.accessKeys().isEmpty()
                ? null : new SignatureVerifier(signalr.accessKeys());
        final WebPubSubConfig webpubsub = config.webpubsub();
        webPubSubVerifier = webpubsub == null || webpubsub.accessKeys().isEmpty()
                ? null : new SignatureVerifier(webpubsub.accessKeys());
        allowedOrigins = new AllowedOrigins(webpubsub == null ? List.of() : webpubsub.allowedOrigins());
        final List<UpstreamConfig> upstreams = config.upstreams();
        routes = new Route[upstreams.size()];
        for (int i = 0; i < routes.length; i++) {
            routes[i] = Route.of(i, upstreams.get(i));
        }
        routeList = List.of(routes);
        routesWebPubSub = routeList.stream().anyMatch(r -> r.protocol() == UpstreamProtocol.WEBPUBSUB);

        final List<IpPrefix> prefixes = new ArrayList<>();
        final List<Decision[]> ruleOutcomes = new ArrayList<>();
        byLinkId = new HashMap<>();
        endpointsByName = new HashMap<>();
        for (SharedPrivateEndpoint endpoint : config.endpoints()) {
            statusCounts[endpoint.status().ordinal()]++;
            endpointsByName.put(endpoint.name(), endpoint);
            for (IpPrefix prefix : endpoint.privateIps()) {
                prefixes.add(prefix);
                ruleOutcomes.add(new RuleDecisions(new MatchedRule(endpoint, prefix), routes).outcomes);
            }
            if (endpoint.linkId() != null) {
                byLinkId.put(endpoint.linkId(), new RuleDecisions(new MatchedRule(endpoint, null), routes));
            }
        }
        byAddress = PrefixTable.<Decision[]>builder().addAll(prefixes, ruleOutcomes).build();
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
        return new PolicySnapshot(requireNonNull(config, "config"), generation, true);
    }

    /**
     * A snapshot with no endpoint set yet: the shared store did not answer at start and there was no cache
     * file (SPEC §10). The proxy answers every call {@code 503 store-unavailable} until a set is loaded.
     */
    public static PolicySnapshot awaitingStore(GatewayConfig config, long generation) {
        if (!requireNonNull(config, "config").endpoints().isEmpty()) {
            throw new IllegalArgumentException("config: holds endpoints (expected none while awaiting the store)");
        }
        return new PolicySnapshot(config, generation, false);
    }

    /**
     * The snapshot of {@code next}, whose endpoints are this snapshot's with {@code changed} created or
     * changed (none removed), built without compiling the unchanged ones when it can (see the class
     * comment); otherwise compiled whole, as {@link #of} would.
     *
     * @param next the whole validated configuration after the change
     * @param changed the endpoints created or changed, as they are in {@code next}
     */
    public PolicySnapshot withChanged(GatewayConfig next, long nextGeneration, List<SharedPrivateEndpoint> changed) {
        requireNonNull(next, "next");
        requireNonNull(changed, "changed");
        if (!endpointsLoaded || !next.upstreams().equals(config.upstreams())
                || !Objects.equals(next.signalr(), config.signalr())) {
            return of(next, nextGeneration);
        }
        final Map<String, SharedPrivateEndpoint> accumulated = overlay == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(overlay.endpoints);
        final int[] counts = statusCounts.clone();
        for (SharedPrivateEndpoint endpoint : changed) {
            final SharedPrivateEndpoint old = accumulated.containsKey(endpoint.name())
                    ? accumulated.get(endpoint.name()) : endpointsByName.get(endpoint.name());
            if (old != null && (!old.privateIps().equals(endpoint.privateIps())
                    || !Objects.equals(old.linkId(), endpoint.linkId()))) {
                return of(next, nextGeneration);
            }
            if (old != null) {
                counts[old.status().ordinal()]--;
            }
            counts[endpoint.status().ordinal()]++;
            accumulated.put(endpoint.name(), endpoint);
        }
        if (accumulated.size() > MAX_OVERLAY) {
            return of(next, nextGeneration);
        }
        return new PolicySnapshot(this, next, nextGeneration, new Overlay(accumulated, routes), counts);
    }

    /** Whether an endpoint set is in force; {@code false} only for {@link #awaitingStore}. */
    public boolean endpointsLoaded() {
        return endpointsLoaded;
    }

    /** The decision for a call, in the check order of SPEC §5 up to and including the endpoint's status. */
    public Decision decide(CallFacts facts) {
        final IpAddress caller = facts.caller();
        final LinkId linkId = facts.linkId();
        if (linkId != null) {
            // Rule 1: a declared link id names the endpoint; its privateIps, if any, must hold the caller.
            RuleDecisions matched = overlay == null ? null : overlay.byLinkId.get(linkId);
            if (matched == null) {
                matched = byLinkId.get(linkId);
            }
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
        if (overlay != null) {
            final Decision[] changed = overlay.longer(caller, byAddress, slot);
            if (changed != null) {
                return changed[routeIndex(facts)];
            }
        }
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
        final int slot = byAddress.slotOf(source);
        final Decision[] changed = overlay == null ? null : overlay.longer(source, byAddress, slot);
        final Decision[] outcomes = changed != null ? changed : byAddress.valueAt(slot);
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

    /** Whether an upstream has {@code protocol: webpubsub}: only then are calls' {@code ce-*} headers read. */
    public boolean routesWebPubSub() {
        return routesWebPubSub;
    }

    /** The verifier of {@code ce-signature} under {@code webpubsub.accessKeys}, or {@code null} when none. */
    public SignatureVerifier webPubSubVerifier() {
        return webPubSubVerifier;
    }

    /** Whether Web PubSub calls without a valid {@code ce-signature} are refused. */
    public boolean webPubSubRequireSignature() {
        return config.webpubsub() != null && config.webpubsub().requireSignature();
    }

    /** Whether Web PubSub calls that are not well-formed event-handler calls are refused. */
    public boolean webPubSubValidateRequests() {
        return config.webpubsub() != null && config.webpubsub().validateRequests();
    }

    /** The origins the gateway answers Web PubSub's abuse protection for; empty: the backend answers. */
    public AllowedOrigins allowedOrigins() {
        return allowedOrigins;
    }

    /** The token check of calls to upstreams of {@code protocol}, or {@code null} when none is required. */
    public IdentityConfig identity(UpstreamProtocol protocol) {
        if (protocol == UpstreamProtocol.WEBPUBSUB) {
            return config.webpubsub() == null ? null : config.webpubsub().identity();
        }
        return config.signalr() == null ? null : config.signalr().identity();
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
        final SharedPrivateEndpoint changed = overlay == null ? null : overlay.endpoints.get(name);
        return changed != null ? changed : endpointsByName.get(name);
    }

    /** How many endpoints changed since this snapshot's tables were compiled (0 after a whole compile). */
    public int overlaySize() {
        return overlay == null ? 0 : overlay.endpoints.size();
    }

    /** How many endpoints are in each status (every status present, zero included). */
    public Map<EndpointStatus, Integer> endpointCounts() {
        final Map<EndpointStatus, Integer> counts = new EnumMap<>(EndpointStatus.class);
        for (EndpointStatus status : EndpointStatus.values()) {
            counts.put(status, statusCounts[status.ordinal()]);
        }
        return counts;
    }

    /** The endpoints changed since the shared tables were compiled, compiled on their own. */
    private static final class Overlay {
        final Map<String, SharedPrivateEndpoint> endpoints;
        final PrefixTable<Decision[]> byAddress;
        final Map<LinkId, RuleDecisions> byLinkId = new HashMap<>();

        Overlay(Map<String, SharedPrivateEndpoint> endpoints, Route[] routes) {
            this.endpoints = endpoints;
            final PrefixTable.Builder<Decision[]> table = PrefixTable.builder();
            for (SharedPrivateEndpoint endpoint : endpoints.values()) {
                for (IpPrefix prefix : endpoint.privateIps()) {
                    table.add(prefix, new RuleDecisions(new MatchedRule(endpoint, prefix), routes).outcomes);
                }
                if (endpoint.linkId() != null) {
                    byLinkId.put(endpoint.linkId(), new RuleDecisions(new MatchedRule(endpoint, null), routes));
                }
            }
            byAddress = table.build();
        }

        /**
         * The overlay's outcomes for {@code address} when its match is at least as long as the base's match
         * in {@code baseSlot} (an equal prefix is a changed endpoint's own: the overlay's is newer), else
         * {@code null}.
         */
        Decision[] longer(IpAddress address, PrefixTable<Decision[]> base, int baseSlot) {
            final int slot = byAddress.slotOf(address);
            if (slot < 0 || baseSlot >= 0 && byAddress.lengthAt(slot) < base.lengthAt(baseSlot)) {
                return null;
            }
            return byAddress.valueAt(slot);
        }
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
