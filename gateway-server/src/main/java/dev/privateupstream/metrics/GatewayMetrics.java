package dev.privateupstream.metrics;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.PolicySnapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Every meter of SPEC §8, named by the constants below. Label values come only from enums, configured
 * upstream names and status codes, so the series stay bounded whatever callers send.
 *
 * <p>Meters are looked up in small maps keyed by those bounded values and cached, so recording a request
 * costs a map lookup and an atomic add, not a registry search.
 *
 * <p>The constants are Micrometer names: its Prometheus naming convention appends {@code _total} to
 * counters and the base unit {@code _seconds} to timers, so the scrape shows exactly the SPEC names
 * ({@code gateway_requests_total}, {@code gateway_upstream_request_duration_seconds_bucket}, ...).
 */
public final class GatewayMetrics {
    public static final String REQUESTS = "gateway_requests";
    public static final String DENIED = "gateway_denied";
    public static final String UPSTREAM_DURATION = "gateway_upstream_request_duration";
    public static final String ACTIVE_CONNECTIONS = "gateway_active_connections";
    public static final String CONFIG_RELOADS = "gateway_config_reloads";
    public static final String SHARED_PRIVATE_ENDPOINTS = "gateway_shared_private_endpoints";
    public static final String STORE_UP = "gateway_store_up";
    public static final String STORE_REVISION = "gateway_store_revision";
    public static final String STORE_RESYNCS = "gateway_store_resyncs";
    public static final String IDENTITY_KEY_REFRESHES = "gateway_identity_key_refreshes";
    public static final String SEND_TIMEOUTS = "gateway_send_timeouts";
    public static final String UPSTREAM_CONNECTIONS_CLOSED = "gateway_upstream_connections_closed";
    public static final String TLS_CERTIFICATE_EXPIRY = "gateway_tls_certificate_expiry_timestamp_seconds";
    public static final String DRAINING = "gateway_draining";
    public static final String ADMIN_EVENT_SUBSCRIBERS = "gateway_admin_event_subscribers";
    /** {@code certificate} of the proxy listener's certificate chain ({@code listen.tls}). */
    public static final String LISTEN_CERTIFICATE = "listen";
    /** Prefix of the {@code certificate} of an upstream's trust roots ({@code upstreams[].caFile}). */
    public static final String UPSTREAM_CERTIFICATE_PREFIX = "upstream:";
    /** {@code result} of a key set fetch that loaded a set. */
    public static final String KEY_REFRESH_SUCCESS = "success";
    /** {@code result} of a key set fetch that did not (no answer, an error status, not a key set). */
    public static final String KEY_REFRESH_FAILURE = "failure";

    private final PrometheusMeterRegistry registry;
    /** Per upstream name, the request counters indexed by outcome and status: no key to build per request. */
    private final Map<String, Counter[]> requests = new ConcurrentHashMap<>();
    private static final int STATUSES = 600;
    private final Map<DenyReason, Counter> denied = new EnumMap<>(DenyReason.class);
    private final Map<String, Timer> upstreamDurations = new ConcurrentHashMap<>();
    /** Per upstream name, the pooled-connection close counters indexed by reason. */
    private final Map<String, Counter[]> connectionsClosed = new ConcurrentHashMap<>();
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final Counter reloadsApplied;
    private final Counter reloadsRejected;
    private final Map<EndpointStatus, AtomicLong> endpointsByStatus = new EnumMap<>(EndpointStatus.class);
    private final EndpointTraffic endpointTraffic = new EndpointTraffic();
    private final AtomicInteger storeUp = new AtomicInteger(1);
    private final AtomicLong storeRevision = new AtomicLong();
    private final Counter storeResyncs;
    private final Counter keyRefreshSuccesses;
    private final Counter keyRefreshFailures;
    private final Counter sendTimeouts;
    private final AtomicInteger draining = new AtomicInteger();
    private final AtomicInteger adminEventSubscribers = new AtomicInteger();
    /** The certificates in use, by {@code certificate} label; what their gauges read at each scrape. */
    private volatile Map<String, Supplier<Instant>> certificates = Map.of();
    /** The gauges of {@link #certificates}, guarded by itself: a reload adds and removes them. */
    private final Map<String, Gauge> certificateGauges = new HashMap<>();

    public GatewayMetrics() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        for (DenyReason reason : DenyReason.values()) {
            // Three constants share the wire text not-signalr-upstream: they share one counter.
            denied.put(reason, Counter.builder(DENIED).description("Calls and connections refused, by reason")
                    .tag("reason", reason.wireText()).register(registry));
        }
        Gauge.builder(ACTIVE_CONNECTIONS, activeConnections, AtomicInteger::get)
                .description("Open client connections on the proxy listener, idle keep-alive included")
                .register(registry);
        reloadsApplied = Counter.builder(CONFIG_RELOADS).description("Configuration changes after the first load")
                .tag("result", "applied").register(registry);
        reloadsRejected = Counter.builder(CONFIG_RELOADS).description("Configuration changes after the first load")
                .tag("result", "rejected").register(registry);
        for (EndpointStatus status : EndpointStatus.values()) {
            final AtomicLong count = new AtomicLong();
            endpointsByStatus.put(status, count);
            Gauge.builder(SHARED_PRIVATE_ENDPOINTS, count, AtomicLong::get)
                    .description("Shared private endpoints by status").tag("status", status.wireName())
                    .register(registry);
        }
        Gauge.builder(STORE_UP, storeUp, AtomicInteger::get)
                .description("1 while the endpoint store answers a linearizable read within its timeout and its "
                        + "watch is live (always 1 for the endpoints file)")
                .register(registry);
        Gauge.builder(STORE_REVISION, storeRevision, AtomicLong::get)
                .description("The revision of the endpoint set in force (etcd: its newest change; file: a count of "
                        + "the sets read or written)")
                .register(registry);
        storeResyncs = Counter.builder(STORE_RESYNCS)
                .description("Whole re-reads of the endpoint store after a compaction or a lost watch")
                .register(registry);
        keyRefreshSuccesses = keyRefreshes(KEY_REFRESH_SUCCESS);
        keyRefreshFailures = keyRefreshes(KEY_REFRESH_FAILURE);
        sendTimeouts = Counter.builder(SEND_TIMEOUTS)
                .description("Client connections closed because a response could not be written for limits.sendTimeout")
                .register(registry);
        Gauge.builder(DRAINING, draining, AtomicInteger::get)
                .description("1 from SIGTERM (SPEC §9) until the process exits: the proxy drains its connections")
                .register(registry);
        Gauge.builder(ADMIN_EVENT_SUBSCRIBERS, adminEventSubscribers, AtomicInteger::get)
                .description("Open GET /api/events streams on the admin port")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
    }

    /** One answered request. */
    public void request(String upstream, Outcome outcome, int status) {
        if (status < 0 || status >= STATUSES) {
            throw new IllegalArgumentException("status: " + status + " (expected 0 to 599)");
        }
        Counter[] counters = requests.get(upstream);
        if (counters == null) {
            final Counter[] fresh = new Counter[Outcome.values().length * STATUSES];
            counters = requests.putIfAbsent(upstream, fresh);
            if (counters == null) {
                counters = fresh;
            }
        }
        final int index = outcome.ordinal() * STATUSES + status;
        Counter counter = counters[index];
        if (counter == null) {
            // Unsynchronised on purpose: a thread that misses another's write registers again, and
            // Micrometer hands back the same meter for the same name and tags.
            counter = Counter.builder(REQUESTS).description("Requests answered on the proxy port")
                    .tag("upstream", upstream).tag("outcome", outcome.label()).tag("status", Integer.toString(status))
                    .register(registry);
            counters[index] = counter;
        }
        counter.increment();
    }

    public void denied(DenyReason reason) {
        denied.get(reason).increment();
    }

    /** Time from the request head sent to the backend until the response's end. */
    public void upstreamDuration(String upstream, long nanos) {
        Timer timer = upstreamDurations.get(upstream);
        if (timer == null) {
            timer = Timer.builder(UPSTREAM_DURATION).description("Upstream request duration")
                    .tag("upstream", upstream)
                    .serviceLevelObjectives(slo(0.0005), slo(0.001), slo(0.0025), slo(0.005), slo(0.01),
                            slo(0.025), slo(0.05), slo(0.1), slo(0.25), slo(0.5), slo(1), slo(2.5), slo(5), slo(10))
                    .register(registry);
            upstreamDurations.put(upstream, timer);
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * {@code gateway_upstream_connections_closed_total{upstream,reason}}: a pooled backend connection closed
     * without serving another request. Rare next to requests (at most one per connection), so a map lookup.
     */
    public void upstreamConnectionClosed(String upstream, PooledConnectionClose reason) {
        connectionsClosedCounter(upstream, reason).increment();
    }

    /** How many pooled connections of {@code upstream} were closed for {@code reason} since start. */
    public long upstreamConnectionsClosed(String upstream, PooledConnectionClose reason) {
        return (long) connectionsClosedCounter(upstream, reason).count();
    }

    private Counter connectionsClosedCounter(String upstream, PooledConnectionClose reason) {
        final Counter[] counters = connectionsClosed.computeIfAbsent(upstream, name -> {
            final Counter[] byReason = new Counter[PooledConnectionClose.values().length];
            for (PooledConnectionClose r : PooledConnectionClose.values()) {
                byReason[r.ordinal()] = Counter.builder(UPSTREAM_CONNECTIONS_CLOSED)
                        .description("Pooled backend connections closed without serving another request")
                        .tag("upstream", name).tag("reason", r.label()).register(registry);
            }
            return byReason;
        });
        return counters[reason.ordinal()];
    }

    private static Duration slo(double seconds) {
        return Duration.ofNanos((long) (seconds * 1e9));
    }

    public void connectionOpened() {
        activeConnections.incrementAndGet();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    public int activeConnections() {
        return activeConnections.get();
    }

    public void reload(boolean applied) {
        (applied ? reloadsApplied : reloadsRejected).increment();
    }

    /** {@code gateway_store_up}. */
    public void storeUp(boolean up) {
        storeUp.set(up ? 1 : 0);
    }

    public boolean storeUp() {
        return storeUp.get() == 1;
    }

    /** {@code gateway_store_revision}: the revision of the endpoint set now in force. */
    public void storeRevision(long revision) {
        storeRevision.set(revision);
    }

    public long storeRevision() {
        return storeRevision.get();
    }

    /** {@code gateway_store_resyncs_total}: one whole re-read. */
    public void storeResync() {
        storeResyncs.increment();
    }

    /** {@code gateway_identity_key_refreshes_total{result}}: one fetch of a JWKS (SPEC §13). */
    public void identityKeyRefresh(String result) {
        (KEY_REFRESH_SUCCESS.equals(result) ? keyRefreshSuccesses : keyRefreshFailures).increment();
    }

    /** How many key set fetches ended with {@code result} since start. */
    public long identityKeyRefreshes(String result) {
        return (long) (KEY_REFRESH_SUCCESS.equals(result) ? keyRefreshSuccesses : keyRefreshFailures).count();
    }

    /** {@code gateway_send_timeouts_total}: one client connection closed by {@code limits.sendTimeout}. */
    public void sendTimeout() {
        sendTimeouts.increment();
    }

    /** How many client connections {@code limits.sendTimeout} closed since start. */
    public long sendTimeouts() {
        return (long) sendTimeouts.count();
    }

    private Counter keyRefreshes(String result) {
        return Counter.builder(IDENTITY_KEY_REFRESHES)
                .description("Fetches of the signing keys that verify the services' Entra ID tokens")
                .tag("result", result).register(registry);
    }

    /** {@code gateway_draining}: the drain of SPEC §9 has started. */
    public void draining() {
        draining.set(1);
    }

    /**
     * {@code gateway_tls_certificate_expiry_timestamp_seconds{certificate}}: the certificates in use from now
     * on, by label value ({@link #LISTEN_CERTIFICATE}, {@link #UPSTREAM_CERTIFICATE_PREFIX} plus an upstream's
     * name), each with what gives the expiry of its files in force, read at each scrape; {@code null} while
     * they never loaded, shown as {@code NaN}. Series of certificates no longer in use are removed, so a
     * reload that drops TLS or an upstream drops its series.
     */
    public void certificatesInUse(Map<String, Supplier<Instant>> expiries) {
        synchronized (certificateGauges) {
            certificates = Map.copyOf(expiries);
            certificateGauges.entrySet().removeIf(gauge -> {
                if (expiries.containsKey(gauge.getKey())) {
                    return false;
                }
                registry.remove(gauge.getValue());
                return true;
            });
            for (String certificate : expiries.keySet()) {
                certificateGauges.computeIfAbsent(certificate, c -> Gauge.builder(TLS_CERTIFICATE_EXPIRY,
                                () -> certificateExpiry(c))
                        .description("When the certificate in use expires, unix seconds: the earliest notAfter of "
                                + "the listener's chain or of an upstream's trust roots")
                        .tag("certificate", c).register(registry));
            }
        }
    }

    private double certificateExpiry(String certificate) {
        final Supplier<Instant> expiry = certificates.get(certificate);
        final Instant notAfter = expiry == null ? null : expiry.get();
        return notAfter == null ? Double.NaN : notAfter.getEpochSecond();
    }

    /** How many configuration changes were applied ({@code true}) or rejected since start. */
    public long reloads(boolean applied) {
        return (long) (applied ? reloadsApplied : reloadsRejected).count();
    }

    /**
     * Refreshes {@code gateway_shared_private_endpoints} from the snapshot in force, and lets the per-endpoint
     * traffic forget endpoints that are gone.
     */
    public void endpoints(PolicySnapshot snapshot) {
        snapshot.endpointCounts().forEach((status, n) -> endpointsByStatus.get(status).set(n));
        // Only endpoints that had traffic are looked at: with 100,000 endpoints a change stays cheap.
        endpointTraffic.retain(name -> snapshot.endpoint(name) != null);
    }

    /** {@code gateway_admin_event_subscribers}: how many {@code GET /api/events} streams are open now. */
    public void adminEventSubscribers(int count) {
        adminEventSubscribers.set(count);
    }

    /** Requests allowed and denied per endpoint, for the admin page; not exported to Prometheus. */
    public EndpointTraffic endpointTraffic() {
        return endpointTraffic;
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }
}
