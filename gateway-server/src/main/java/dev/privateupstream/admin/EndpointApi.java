package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.privateupstream.config.AdminToken;
import dev.privateupstream.config.ReadOnlyEndpointsFileException;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.metrics.EndpointTraffic;
import dev.privateupstream.net.LocalHost;
import dev.privateupstream.reload.LiveConfig;
import dev.privateupstream.reload.PolicyRef;
import dev.privateupstream.store.AuditRecord;
import dev.privateupstream.store.EditOutcome;
import dev.privateupstream.store.EndpointChange;
import dev.privateupstream.store.EndpointProperties;
import dev.privateupstream.store.EndpointResource;
import dev.privateupstream.store.InvalidFieldException;
import dev.privateupstream.store.Replica;
import dev.privateupstream.store.StoreConflictException;
import dev.privateupstream.store.StoreUnavailableException;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST resource of shared private endpoints under {@code /api/} (SPEC §7), paged, filtered and searched
 * (SPEC §12), plus {@code GET /api/shared-private-endpoints-summary} (counts by status),
 * {@code GET /api/shared-private-endpoints-traffic}, the per-endpoint allowed and denied counts and last
 * decision the admin page shows, {@code GET /api/audit?endpoint=NAME}, an endpoint's history of changes, and
 * the head of {@code GET /api/events} ({@link EndpointEvents}).
 *
 * <p>Every call must carry a bearer token in force; a {@code reader} token may only read. Each change writes
 * an audit record to the log {@code gateway.audit} and to the store. Changes are parsed here, on the admin
 * event loop, and handed to {@link LiveConfig}, which writes and applies them on its own thread. The answer
 * comes once the change is on disk and in force, and its record kept.
 */
final class EndpointApi {
    static final String PREFIX = "/api/";
    static final String COLLECTION = "shared-private-endpoints";
    static final String TRAFFIC = "shared-private-endpoints-traffic";
    static final String SUMMARY = "shared-private-endpoints-summary";
    static final String EVENTS = "events";
    /** The most names one traffic request may ask for, as many as a page holds. */
    static final int MAX_TRAFFIC_NAMES = EndpointQuery.MAX_TOP;
    static final String REPLICAS = "replicas";
    static final String AUDIT = "audit";
    private static final Logger logger = LoggerFactory.getLogger(EndpointApi.class);
    /** SPEC §12: one JSON line per change through the API. */
    private static final Logger auditLogger = LoggerFactory.getLogger("gateway.audit");
    private static final ObjectMapper READER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final PolicyRef policy;
    private final LiveConfig live;
    private final EndpointTraffic traffic;
    /** The name-sorted view of the set in force, made again only once another set is in force. */
    private volatile SortedEndpoints sorted;

    EndpointApi(PolicyRef policy, LiveConfig live, EndpointTraffic traffic) {
        this.policy = requireNonNull(policy, "policy");
        this.live = requireNonNull(live, "live");
        this.traffic = requireNonNull(traffic, "traffic");
    }

    /**
     * Answers one call.
     *
     * @param uri the request target as sent, its path starting with {@link #PREFIX}
     * @param authorization the {@code Authorization} header, or {@code null}
     */
    CompletableFuture<AdminResponse> handle(HttpMethod method, String uri, String authorization, byte[] body) {
        final BearerToken.Match match = BearerToken.match(policy.get().config().admin().accepted(), authorization);
        if (match.verdict() != BearerToken.Verdict.ACCEPTED) {
            return done(unauthorized(match.verdict()));
        }
        if (isWrite(method) && match.token().role() != AdminToken.Role.APPROVER) {
            return done(forbidden(match.token()));
        }
        final AdminToken actor = match.token();
        final QueryStringDecoder query = new QueryStringDecoder(uri);
        final String rawPath = query.rawPath();
        final List<String> segments = segments(rawPath);
        try {
            if (segments.size() == 1 && segments.get(0).equals(AUDIT)) {
                return method.equals(HttpMethod.GET) ? audit(query) : done(notAllowed("GET"));
            }
            if (segments.size() == 1 && segments.get(0).equals(COLLECTION)) {
                return method.equals(HttpMethod.GET) ? done(list(EndpointQuery.parse(query.parameters())))
                        : done(notAllowed("GET"));
            }
            if (segments.size() == 1 && segments.get(0).equals(SUMMARY)) {
                return method.equals(HttpMethod.GET) ? done(summary()) : done(notAllowed("GET"));
            }
            if (segments.size() == 1 && segments.get(0).equals(EVENTS)) {
                // The head of the stream; AdminHandler takes the connection over from here.
                return method.equals(HttpMethod.GET) ? done(AdminResponse.eventStream()) : done(notAllowed("GET"));
            }
            if (segments.size() == 1 && segments.get(0).equals(REPLICAS)) {
                return method.equals(HttpMethod.GET) ? replicas() : done(notAllowed("GET"));
            }
            if (segments.size() == 1 && segments.get(0).equals(TRAFFIC)) {
                return method.equals(HttpMethod.GET) ? done(traffic(query.parameters().get("name")))
                        : done(notAllowed("GET"));
            }
            if (segments.size() == 2 && segments.get(0).equals(COLLECTION)) {
                final String name = segments.get(1);
                if (method.equals(HttpMethod.GET)) {
                    return done(get(name));
                }
                if (method.equals(HttpMethod.PUT)) {
                    return put(name, EndpointProperties.parse(json(body)), actor);
                }
                if (method.equals(HttpMethod.DELETE)) {
                    return edit(name, actor, AuditRecord.Action.DELETE, current -> {
                        final int index = indexOf(current, name);
                        if (index < 0) {
                            return null;
                        }
                        final List<SharedPrivateEndpoint> next = new ArrayList<>(current);
                        final SharedPrivateEndpoint removed = next.remove(index);
                        return new EndpointChange.Proposal(next, null, false, removed);
                    });
                }
                return done(notAllowed("GET, PUT, DELETE"));
            }
            if (segments.size() == 3 && segments.get(0).equals(COLLECTION)
                    && (segments.get(2).equals("approve") || segments.get(2).equals("reject"))) {
                if (!method.equals(HttpMethod.POST)) {
                    return done(notAllowed("POST"));
                }
                final EndpointStatus status = segments.get(2).equals("approve")
                        ? EndpointStatus.APPROVED : EndpointStatus.REJECTED;
                return setStatus(segments.get(1), status, EndpointProperties.parseDescription(json(body)), actor);
            }
        } catch (InvalidFieldException e) {
            return done(AdminResponse.badRequest(e.field(), e.getMessage()));
        }
        return done(AdminResponse.error(HttpResponseStatus.NOT_FOUND, "no such API route: " + rawPath
                + " (expected: " + PREFIX + COLLECTION + "[/{name}[/approve|/reject]], " + PREFIX + SUMMARY + ", "
                + PREFIX + TRAFFIC + ", " + PREFIX + REPLICAS + ", " + PREFIX + EVENTS + " or " + PREFIX + AUDIT
                + "?endpoint={name})"));
    }

    /** SPEC §12: a change is a write whatever its path; a reader's gets 403 before anything is looked at. */
    private static boolean isWrite(HttpMethod method) {
        return method.equals(HttpMethod.POST) || method.equals(HttpMethod.PUT) || method.equals(HttpMethod.PATCH)
                || method.equals(HttpMethod.DELETE);
    }

    /** {@code GET /api/audit?endpoint=NAME}: the endpoint's audit records as the store keeps them, newest first. */
    private CompletableFuture<AdminResponse> audit(QueryStringDecoder query) {
        final List<String> endpoint = query.parameters().get("endpoint");
        if (endpoint == null || endpoint.size() != 1 || endpoint.get(0).isEmpty()) {
            return done(AdminResponse.badRequest("endpoint", "the query parameter endpoint names the endpoint "
                    + "whose history to answer, once (expected: " + PREFIX + AUDIT + "?endpoint={name})"));
        }
        return live.store().audit(endpoint.get(0)).handle((records, failure) -> {
            if (failure != null) {
                return failed(new StoreUnavailableException("the store did not answer the audit records: "
                        + (failure.getCause() != null ? failure.getCause() : failure).getMessage(), failure));
            }
            final ObjectNode body = AdminResponse.object();
            final ArrayNode value = body.putArray("value");
            records.forEach(record -> value.add(record.toJson()));
            return AdminResponse.json(HttpResponseStatus.OK, body);
        });
    }

    /**
     * One page of the endpoints in force in name order (SPEC §12): from after the {@code skipToken}'s name, the
     * first {@code top} that the filters let through, and a {@code nextLink} when one more was found.
     */
    private AdminResponse list(EndpointQuery query) {
        final List<SharedPrivateEndpoint> page = sortedView().page(query.after(), query.filter(), query.top() + 1);
        final ObjectNode body = AdminResponse.object();
        final ArrayNode value = body.putArray("value");
        for (SharedPrivateEndpoint endpoint : page.subList(0, Math.min(page.size(), query.top()))) {
            value.add(EndpointResource.of(endpoint));
        }
        if (page.size() > query.top()) {
            body.put("nextLink", query.nextLink(PREFIX + COLLECTION, page.get(query.top() - 1).name()));
        }
        return AdminResponse.json(HttpResponseStatus.OK, body);
    }

    /** The view of the set in force; on the admin loop, so at most one sort per set. */
    private SortedEndpoints sortedView() {
        final List<SharedPrivateEndpoint> endpoints = policy.get().config().endpoints();
        SortedEndpoints view = sorted;
        if (view == null || !view.isOf(endpoints)) {
            view = SortedEndpoints.of(endpoints);
            sorted = view;
        }
        return view;
    }

    /** How many endpoints are in force, and in each status; the snapshot keeps the counts. */
    private AdminResponse summary() {
        final var snapshot = policy.get();
        final ObjectNode body = AdminResponse.object();
        body.put("total", snapshot.config().endpoints().size());
        final ObjectNode byStatus = body.putObject("byStatus");
        snapshot.endpointCounts().forEach((status, n) -> byStatus.put(status.wireName(), n));
        return AdminResponse.json(HttpResponseStatus.OK, body);
    }

    /**
     * {@code GET /api/replicas} (SPEC §10): every live replica with the revision it has in force, and the
     * revision of the newest change in the store; {@code behind} tells which replicas lag it.
     */
    private CompletableFuture<AdminResponse> replicas() {
        return live.store().replicas().handle((view, failure) -> {
            if (failure != null) {
                return failed(new StoreUnavailableException("the store did not list the replicas: "
                        + (failure.getCause() != null ? failure.getCause() : failure).getMessage(), failure));
            }
            final ObjectNode body = AdminResponse.object();
            body.put("revision", view.revision());
            final ArrayNode value = body.putArray("value");
            for (Replica replica : view.replicas()) {
                value.add(replica.toJson().put("behind", replica.revision() < view.revision()));
            }
            return AdminResponse.json(HttpResponseStatus.OK, body);
        });
    }

    /**
     * The traffic of the endpoints in force, or of the {@code name}s asked for (in their order, once each; a
     * name not in force has zeros).
     */
    private AdminResponse traffic(List<String> names) throws InvalidFieldException {
        if (names != null && names.size() > MAX_TRAFFIC_NAMES) {
            throw new InvalidFieldException("name", "name given " + names.size() + " times (expected: at most "
                    + MAX_TRAFFIC_NAMES + ", a page's worth; ask again for the rest)");
        }
        final ObjectNode body = AdminResponse.object();
        body.put("since", traffic.since().toString());
        final ArrayNode value = body.putArray("value");
        final Iterable<String> asked = names != null ? new LinkedHashSet<>(names)
                : policy.get().config().endpoints().stream().map(SharedPrivateEndpoint::name)::iterator;
        for (String name : asked) {
            final EndpointTraffic.Totals totals = traffic.totals(name);
            final ObjectNode entry = value.addObject().put("name", name).put("allowed", totals.allowed())
                    .put("denied", totals.denied());
            final EndpointTraffic.LastDecision last = totals.last();
            if (last != null) {
                final ObjectNode decision = entry.putObject("lastDecision")
                        .put("time", last.time().toString()).put("allowed", last.allowed());
                if (last.reason() != null) {
                    decision.put("reason", last.reason().wireText());
                }
            }
        }
        return AdminResponse.json(HttpResponseStatus.OK, body);
    }

    private AdminResponse get(String name) {
        final List<SharedPrivateEndpoint> endpoints = policy.get().config().endpoints();
        final int index = indexOf(endpoints, name);
        return index < 0 ? notFound(name) : AdminResponse.json(HttpResponseStatus.OK,
                EndpointResource.of(endpoints.get(index)));
    }

    /** Creates ({@code Pending}) or replaces an endpoint; an update keeps the status and, unless given, the description. */
    private CompletableFuture<AdminResponse> put(String name, EndpointProperties properties, AdminToken actor) {
        // The action, create or update, is known only once the change has been computed against the set in force.
        return edit(name, actor, null, current -> {
            final int index = indexOf(current, name);
            final List<SharedPrivateEndpoint> next = new ArrayList<>(current);
            if (index < 0) {
                final SharedPrivateEndpoint created = new SharedPrivateEndpoint(name, properties.groupId(),
                        properties.privateLinkResourceId(), properties.requestMessage(), EndpointStatus.PENDING,
                        properties.description(), properties.privateIps(), properties.linkId());
                next.add(created);
                return new EndpointChange.Proposal(next, created, true);
            }
            final SharedPrivateEndpoint old = current.get(index);
            final SharedPrivateEndpoint updated = new SharedPrivateEndpoint(old.name(), properties.groupId(),
                    properties.privateLinkResourceId(), properties.requestMessage(), old.status(),
                    properties.description() == null ? old.description() : properties.description(),
                    properties.privateIps(), properties.linkId());
            next.set(index, updated);
            return new EndpointChange.Proposal(next, updated, false);
        });
    }

    private CompletableFuture<AdminResponse> setStatus(String name, EndpointStatus status, String description,
            AdminToken actor) {
        final AuditRecord.Action action = status == EndpointStatus.APPROVED ? AuditRecord.Action.APPROVE
                : AuditRecord.Action.REJECT;
        return edit(name, actor, action, current -> {
            final int index = indexOf(current, name);
            if (index < 0) {
                return null;
            }
            final SharedPrivateEndpoint changed = current.get(index).withStatus(status, description);
            final List<SharedPrivateEndpoint> next = new ArrayList<>(current);
            next.set(index, changed);
            return new EndpointChange.Proposal(next, changed, false);
        });
    }

    /**
     * Applies {@code change} with its audit record, which the store keeps with the change, and logs the record
     * once the change is applied.
     *
     * @param action what an applied change did, or {@code null} for create-or-update (from the proposal)
     */
    private CompletableFuture<AdminResponse> edit(String name, AdminToken actor, AuditRecord.Action action,
            EndpointChange change) {
        // The change may be computed more than once (store conflicts); the last computation is the one applied.
        final AtomicReference<AuditRecord> record = new AtomicReference<>();
        final EndpointChange audited = current -> {
            final int index = indexOf(current, name);
            final EndpointChange.Proposal proposal = change.propose(current);
            record.set(proposal == null ? null
                    : auditRecord(index < 0 ? null : current.get(index), proposal, actor, action));
            return record.get() == null ? proposal : proposal.audited(record.get());
        };
        return live.edit(audited).handle((outcome, failure) -> {
            if (failure != null) {
                return failed(failure);
            }
            if (outcome instanceof EditOutcome.Applied && record.get() != null) {
                auditLogger.info("{}", record.get().toJsonLine());
            }
            return answer(outcome, name);
        });
    }

    /** The record of {@code proposal}; {@code null} when it asks for what already is, which changes nothing. */
    private AuditRecord auditRecord(SharedPrivateEndpoint before, EndpointChange.Proposal proposal, AdminToken actor,
            AuditRecord.Action action) {
        final SharedPrivateEndpoint after = proposal.changed();
        if (after != null && after.equals(before)) {
            return null;
        }
        final SharedPrivateEndpoint subject = after != null ? after : proposal.removed();
        final AuditRecord.Action done = action != null ? action
                : proposal.created() ? AuditRecord.Action.CREATE : AuditRecord.Action.UPDATE;
        return new AuditRecord(Instant.now(), actor.name(), replicaId(), done, subject.name(),
                before == null ? null : before.status(), after == null ? null : after.status(), subject.description());
    }

    /** The replica as SPEC §10 names it: {@code replicaId} with the etcd store, else the host name. */
    private String replicaId() {
        final var etcd = policy.get().config().etcd();
        return etcd != null ? etcd.replicaId() : LocalHost.name();
    }

    private static AdminResponse answer(EditOutcome outcome, String name) {
        if (outcome instanceof EditOutcome.Applied applied) {
            if (applied.endpoint() == null) {
                return AdminResponse.noContent();
            }
            final ObjectNode resource = EndpointResource.of(applied.endpoint());
            if (applied.created()) {
                return AdminResponse.json(HttpResponseStatus.CREATED, resource)
                        .withHeader("Location", PREFIX + COLLECTION + "/" + applied.endpoint().name());
            }
            return AdminResponse.json(HttpResponseStatus.OK, resource);
        }
        if (outcome instanceof EditOutcome.Invalid invalid) {
            final EditOutcome.Problem first = invalid.problems().get(0);
            return AdminResponse.badRequest(field(first.keyPath()), first.message());
        }
        return notFound(name);
    }

    /** The API's field for a validation key path relative to the endpoint: {@code privateIps[0]} is in properties. */
    private static String field(String keyPath) {
        if (keyPath.equals("name")) {
            return "name";
        }
        if (keyPath.isEmpty() || keyPath.startsWith("[")) {
            // About the endpoint as a whole, or (it cannot happen with a valid file in force) another one.
            return "properties";
        }
        return "properties." + keyPath;
    }

    private static AdminResponse failed(Throwable failure) {
        final Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof StoreUnavailableException) {
            // SPEC §10: fail static; the set in force stays, the write is refused with one word.
            logger.warn("admin API: {}; nothing changed; check that the etcd cluster "
                    + "(sharedPrivateEndpoints.etcd.endpoints) is reachable and has quorum, then retry",
                    cause.getMessage());
            return AdminResponse.json(HttpResponseStatus.SERVICE_UNAVAILABLE, AdminResponse.object()
                    .put("error", HttpResponseStatus.SERVICE_UNAVAILABLE.reasonPhrase())
                    .put("reason", "store-unavailable")
                    .put("message", cause.getMessage() + "; the endpoints in force stay as they are; try again "
                            + "once the store has quorum"));
        }
        if (cause instanceof StoreConflictException) {
            return AdminResponse.error(HttpResponseStatus.CONFLICT, cause.getMessage());
        }
        if (cause instanceof ReadOnlyEndpointsFileException) {
            return AdminResponse.error(HttpResponseStatus.CONFLICT, cause.getMessage() + ". The endpoints file is "
                    + "managed outside the gateway (a read-only mount such as a Kubernetes ConfigMap): change it "
                    + "there, or mount a writable file to use this API");
        }
        if (cause instanceof IOException) {
            logger.error("admin API: the change could not be written; nothing changed; check that the endpoints "
                    + "file and its folder are writable by the gateway and the disk has room", cause);
            return AdminResponse.error(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "the change could not be written to the endpoints file, nothing changed: " + cause.getMessage());
        }
        if (cause instanceof IllegalStateException) {
            return AdminResponse.error(HttpResponseStatus.SERVICE_UNAVAILABLE, cause.getMessage());
        }
        logger.error("admin API: the change failed; nothing changed; a bug in the gateway: please report it "
                + "with this stack trace", cause);
        return AdminResponse.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "the change failed: " + cause);
    }

    private static AdminResponse unauthorized(BearerToken.Verdict verdict) {
        final ObjectNode body = AdminResponse.object()
                .put("error", HttpResponseStatus.UNAUTHORIZED.reasonPhrase())
                .put("reason", verdict.reason())
                .put("message", verdict.message());
        return AdminResponse.json(HttpResponseStatus.UNAUTHORIZED, body)
                .withHeader("WWW-Authenticate", verdict == BearerToken.Verdict.REJECTED
                        ? "Bearer realm=\"gateway-admin\", error=\"invalid_token\"" : "Bearer realm=\"gateway-admin\"");
    }

    /** SPEC §12: a reader's write; nothing changed. */
    private static AdminResponse forbidden(AdminToken token) {
        final ObjectNode body = AdminResponse.object()
                .put("error", HttpResponseStatus.FORBIDDEN.reasonPhrase())
                .put("reason", "insufficient-role")
                .put("message", "the token '" + token.name() + "' is a " + token.role().wireName()
                        + ": it may read, not change (expected: an approver token)");
        return AdminResponse.json(HttpResponseStatus.FORBIDDEN, body);
    }

    private static AdminResponse notFound(String name) {
        return AdminResponse.error(HttpResponseStatus.NOT_FOUND, "no shared private endpoint named '" + name + "'");
    }

    private static AdminResponse notAllowed(String allowed) {
        return AdminResponse.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed here (expected: "
                + allowed + ")").withHeader("Allow", allowed);
    }

    /** The body as JSON; {@code null} when empty. */
    private static JsonNode json(byte[] body) throws InvalidFieldException {
        if (new String(body, StandardCharsets.UTF_8).isBlank()) {
            return null;
        }
        try {
            return READER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidFieldException("(body)", "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidFieldException("(body)", "unreadable: " + e.getMessage());
        }
    }

    /** Names compare ignoring case: Azure resource names do, and the endpoints file allows one spelling only. */
    private static int indexOf(List<SharedPrivateEndpoint> endpoints, String name) {
        // equalsIgnoreCase rather than lower-casing both: names are ASCII, and at 100,000 endpoints a write
        // must not allocate a string per endpoint.
        for (int i = 0; i < endpoints.size(); i++) {
            if (endpoints.get(i).name().equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The decoded path segments after {@code /api/}. */
    private static List<String> segments(String rawPath) {
        final List<String> segments = new ArrayList<>();
        for (String part : rawPath.substring(PREFIX.length()).split("/", -1)) {
            // A path keeps '+' literal; the decoder, made for queries, would read it as a space.
            segments.add(QueryStringDecoder.decodeComponent(part.replace("+", "%2B"), StandardCharsets.UTF_8));
        }
        return segments;
    }

    private static CompletableFuture<AdminResponse> done(AdminResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
