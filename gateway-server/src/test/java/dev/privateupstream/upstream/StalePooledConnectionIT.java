package dev.privateupstream.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.metrics.PooledConnectionClose;
import dev.privateupstream.testing.FaultyBackend;
import dev.privateupstream.testing.JdkHttpBackend;
import dev.privateupstream.testing.NginxBackend;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stale pooled connection (SPEC §6): backends that close an idle kept-alive connection after about a
 * second, under a steady load whose pauses end right when they do, and not one call gets {@code 502}, because
 * the upstream's {@code idleTimeout} is below their keep-alive and the gateway closes every idle connection
 * first. The backends are a real nginx ({@code keepalive_timeout 1s}) and the JDK's HTTP server (idle
 * interval 1 s), each started by its extension.
 *
 * <p>Why {@code idleTimeout} matters: when the backend's close and the next request cross on the wire, no
 * check can save the request, which went out and is never retried. Real timing makes that race rare (a
 * window of microseconds on loopback), so two tests play it deterministically with a backend that answers a
 * request arriving after its keep-alive ran out with a reset, as a closed socket would: with
 * {@code idleTimeout} above that keep-alive (the gateway before issue 18 had none) the call gets {@code 502};
 * below it, {@code 200}.
 */
class StalePooledConnectionIT {
    private static final String REQUEST = "POST /api HTTP/1.1\r\nHost: func-a.example\r\nContent-Length: 2\r\n\r\nhi";
    private static final String UPSTREAM = "func-a";
    /** Below the backends' 1 s, with room for a late timer on a loaded machine. */
    private static final String IDLE_TIMEOUT_BELOW = "300ms";
    private static final int THREADS = 4;
    private static final int BURSTS = 6;
    private static final int PER_BURST = 10;

    @RegisterExtension
    static final NginxBackend nginx = NginxBackend.withKeepaliveTimeout("1s");
    @RegisterExtension
    static final JdkHttpBackend jdk = JdkHttpBackend.withIdleInterval(1);

    @TempDir
    Path dir;

    private TestGateway gateway;
    private FaultyBackend faulty;

    @AfterEach
    void stop() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
        if (faulty != null) {
            faulty.close();
        }
    }

    @Test
    void nginxWithAOneSecondKeepAliveCostsNoCallA502() throws Exception {
        startGateway(nginx.url(), IDLE_TIMEOUT_BELOW);

        final Map<Integer, Integer> statuses = steadyLoad();

        assertThat(statuses).as("statuses and how many; nginx:\n%s", nginx.log())
                .containsOnlyKeys(200).containsEntry(200, THREADS * BURSTS * PER_BURST);
        assertGatewayClosedFirst();
    }

    @Test
    void theJdkServerWithAOneSecondIdleIntervalCostsNoCallA502() throws Exception {
        startGateway(jdk.url(), IDLE_TIMEOUT_BELOW);

        final Map<Integer, Integer> statuses = steadyLoad();

        assertThat(statuses).as("statuses and how many").containsOnlyKeys(200)
                .containsEntry(200, THREADS * BURSTS * PER_BURST);
        assertGatewayClosedFirst();
    }

    /** The behaviour before issue 18, where pooled connections stayed open however long they sat idle. */
    @Test
    void aBackendCloseThatCrossesTheRequestIs502WhenIdleTimeoutIsAboveTheBackendsKeepAlive() throws Exception {
        final Duration keepAlive = Duration.ofMillis(400);
        final AtomicInteger crossed = new AtomicInteger();
        faulty = FaultyBackend.start(closesWhenIdleFor(keepAlive, crossed));
        startGateway(faulty.url(), "5s");

        try (RawClient client = client()) {
            assertThat(client.send(REQUEST).read().status()).isEqualTo(200);
            Thread.sleep(keepAlive.toMillis() + 200); // the backend's keep-alive runs out; the gateway's does not
            final Response crossing = client.send(REQUEST).read();
            assertThat(crossing.status()).isEqualTo(502);
            assertThat(crossing.bodyText()).contains("upstream-unreachable");
        }
        assertThat(crossed.get()).isEqualTo(1);
        // Never retried: the backend saw the second request once, on the connection it had given up.
        assertThat(faulty.requests()).hasSize(2);
        assertThat(faulty.accepted()).isEqualTo(1);
    }

    @Test
    void aBackendCloseNeverCrossesARequestWhenIdleTimeoutIsBelowTheBackendsKeepAlive() throws Exception {
        final Duration keepAlive = Duration.ofMillis(400);
        final AtomicInteger crossed = new AtomicInteger();
        faulty = FaultyBackend.start(closesWhenIdleFor(keepAlive, crossed));
        startGateway(faulty.url(), "150ms");

        try (RawClient client = client()) {
            assertThat(client.send(REQUEST).read().status()).isEqualTo(200);
            Thread.sleep(keepAlive.toMillis() + 200); // past both: the gateway closed its connection first
            assertThat(client.send(REQUEST).read().status()).isEqualTo(200);
        }
        assertThat(crossed.get()).isZero();
        assertThat(faulty.accepted()).isEqualTo(2);
        assertThat(closed(PooledConnectionClose.IDLE)).isGreaterThanOrEqualTo(1);
    }

    /**
     * A backend whose keep-alive runs out after {@code keepAlive} idle, and whose close always crosses the
     * next request: a request that arrives later is answered with a reset (as the kernel of a closed socket
     * answers), which is what the race looks like from the gateway. Until then it answers {@code 200 ok}.
     */
    private static FaultyBackend.Behaviour closesWhenIdleFor(Duration keepAlive, AtomicInteger crossed) {
        return c -> {
            long answeredAt = 0;
            while (c.readRequest() != null) {
                if (answeredAt != 0 && System.nanoTime() - answeredAt >= keepAlive.toNanos()) {
                    crossed.incrementAndGet();
                    c.reset();
                    return;
                }
                c.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
                answeredAt = System.nanoTime();
            }
        };
    }

    /** The standard endpoints; {@code func-a} (any Host) and {@code func-b} at {@code url}, the calls go to func-a. */
    private void startGateway(String url, String idleTimeout) throws Exception {
        final String idle = "    idleTimeout: " + idleTimeout + "\n";
        gateway = TestGateway.start(dir, TestGateway.gatewayYaml(
                TestGateway.upstream(UPSTREAM, TestGateway.RESOURCE, url, idle)
                        + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, url,
                                "    hosts: [ func-b.example ]\n" + idle), ""),
                TestGateway.STANDARD_ENDPOINTS);
    }

    private RawClient client() throws IOException {
        return new RawClient("127.0.0.10", gateway.port()).timeout(10_000);
    }

    /**
     * {@value #THREADS} approved callers, each on its own kept-alive connection, send {@value #BURSTS} bursts
     * of {@value #PER_BURST} back-to-back requests, pausing 1.0 to 1.2 s after each: the pauses end when
     * the backends' keep-alive (1 s) runs out. Returns how many answers had each status.
     */
    private Map<Integer, Integer> steadyLoad() throws Exception {
        final Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        final ExecutorService callers = Executors.newFixedThreadPool(THREADS);
        try {
            final List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                done.add(callers.submit(() -> {
                    try (RawClient client = client()) {
                        for (int burst = 0; burst < BURSTS; burst++) {
                            for (int i = 0; i < PER_BURST; i++) {
                                statuses.merge(client.send(REQUEST).read().status(), 1, Integer::sum);
                            }
                            Thread.sleep(1000 + ThreadLocalRandom.current().nextInt(201));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> caller : done) {
                caller.get(2, TimeUnit.MINUTES);
            }
        } finally {
            callers.shutdownNow();
        }
        return new TreeMap<>(statuses);
    }

    /** No pooled connection was closed by the backend first; some were closed by the gateway for idleness. */
    private void assertGatewayClosedFirst() {
        assertThat(closed(PooledConnectionClose.STALE)).as("closed by the backend while pooled").isZero();
        assertThat(closed(PooledConnectionClose.IDLE)).as("closed by the gateway after idleTimeout").isPositive();
    }

    private long closed(PooledConnectionClose reason) {
        return gateway.server().metrics().upstreamConnectionsClosed(UPSTREAM, reason);
    }
}
