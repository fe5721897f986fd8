package dev.privateupstream.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import dev.privateupstream.testing.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KeySetSourceTest {
    private static final RSAKey K1 = rsaKey("k1");
    private static final RSAKey K2 = rsaKey("k2");
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);
    /** Fast retries, a rate limit read from the fake clock, no timed refresh within a test. */
    private static final KeySetSource.Schedule QUICK = new KeySetSource.Schedule(Duration.ofMinutes(1),
            Duration.ofHours(12), Duration.ofMillis(20), Duration.ofMillis(100));

    private final JwksServer jwks = new JwksServer();
    private final List<String> results = new CopyOnWriteArrayList<>();
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final List<KeySetSource> sources = new ArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        jwks.start();
    }

    @AfterEach
    void stop() {
        sources.forEach(KeySetSource::close);
        jwks.stop();
    }

    static RSAKey rsaKey(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static String document(RSAKey... keys) {
        final List<JWK> list = new ArrayList<>();
        for (RSAKey key : keys) {
            list.add(key.toPublicJWK());
        }
        return new JWKSet(list).toString();
    }

    private KeySetSource source(KeySetSource.Schedule schedule) {
        final KeySetSource source = new KeySetSource(jwks.url(), FETCH_TIMEOUT, results::add, schedule, nanos::get);
        sources.add(source);
        return source;
    }

    private KeySetSource loaded(KeySetSource.Schedule schedule) {
        final KeySetSource source = source(schedule);
        source.start();
        await(source::loaded);
        return source;
    }

    private void afterTheRateLimit() {
        nanos.addAndGet(Duration.ofSeconds(61).toNanos());
    }

    static void await(BooleanSupplier condition) {
        Await.until("the condition holds", Duration.ofSeconds(10), condition);
    }

    private static KeySet done(CompletableFuture<KeySet> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }

    @Test
    void nothingIsLoadedBeforeTheFirstFetch() {
        jwks.body = document(K1);
        final KeySetSource source = source(QUICK);
        assertThat(source.current()).isNull();
        assertThat(source.loaded()).isFalse();
        assertThat(jwks.requests.get()).isZero();
        source.start();
        await(source::loaded);
        assertThat(source.current().kids()).containsExactly("k1");
        assertThat(jwks.requests.get()).isEqualTo(1);
        assertThat(jwks.accept).isEqualTo("application/json");
        await(() -> results.size() == 1);
        assertThat(results).containsExactly(KeySetSource.SUCCESS);
        source.start();
        assertThat(jwks.requests.get()).as("start twice fetches once").isEqualTo(1);
    }

    @Test
    void retriesUntilTheFirstSuccess() {
        jwks.body = document(K1);
        jwks.statuses.add(500);
        jwks.statuses.add(503);
        final KeySetSource source = loaded(QUICK);
        assertThat(jwks.requests.get()).isEqualTo(3);
        assertThat(source.current().kids()).containsExactly("k1");
        await(() -> results.size() == 3);
        assertThat(results).containsExactly(KeySetSource.FAILURE, KeySetSource.FAILURE, KeySetSource.SUCCESS);
    }

    @Test
    void anUnknownKidFetchesAtMostOnceAMinute() throws Exception {
        jwks.body = document(K1);
        final KeySetSource source = loaded(QUICK);
        jwks.body = document(K1, K2);

        // The load at start does not count: a key rolled over just after it is fetched at once.
        final KeySet refreshed = done(source.refreshForUnknownKey());
        assertThat(refreshed.kids()).containsExactly("k1", "k2");
        assertThat(source.current()).isSameAs(refreshed);
        assertThat(jwks.requests.get()).isEqualTo(2);
        assertThat(done(source.refreshForUnknownKey())).as("within the minute: no fetch").isSameAs(refreshed);
        assertThat(jwks.requests.get()).isEqualTo(2);

        nanos.addAndGet(Duration.ofSeconds(59).toNanos());
        final CompletableFuture<KeySet> limited = source.refreshForUnknownKey();
        assertThat(limited).isDone();
        assertThat(done(limited)).isSameAs(refreshed);
        assertThat(jwks.requests.get()).isEqualTo(2);

        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        done(source.refreshForUnknownKey());
        assertThat(jwks.requests.get()).isEqualTo(3);
    }

    @Test
    void concurrentCallersShareTheFetchInFlight() throws Exception {
        jwks.body = document(K1);
        final KeySetSource source = loaded(QUICK);
        final KeySet before = source.current();
        jwks.body = document(K2);
        jwks.gate = new CountDownLatch(1);
        afterTheRateLimit();

        final List<CompletableFuture<KeySet>> futures = new CopyOnWriteArrayList<>();
        final List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            final Thread caller = new Thread(() -> futures.add(source.refreshForUnknownKey()));
            callers.add(caller);
            caller.start();
        }
        for (Thread caller : callers) {
            caller.join(10_000);
        }
        await(() -> jwks.requests.get() == 2);
        assertThat(futures).hasSize(8).allSatisfy(future -> assertThat(future).isNotDone());
        assertThat(source.current()).isSameAs(before);

        jwks.gate.countDown();
        for (CompletableFuture<KeySet> future : futures) {
            assertThat(done(future).kids()).containsExactly("k2");
        }
        assertThat(jwks.requests.get()).isEqualTo(2);
    }

    @Test
    void anOversizedBodyIsAFailureThatKeepsTheOldSet() throws Exception {
        jwks.body = document(K1);
        final KeySetSource source = loaded(QUICK);
        final KeySet before = source.current();
        jwks.body = "{\"keys\":[],\"padding\":\"" + "x".repeat(KeySetSource.MAX_BODY_BYTES) + "\"}";
        afterTheRateLimit();
        assertThat(done(source.refreshForUnknownKey())).isSameAs(before);
        assertThat(source.current()).isSameAs(before);
        await(() -> results.size() == 2);
        assertThat(results).containsExactly(KeySetSource.SUCCESS, KeySetSource.FAILURE);
    }

    @Test
    void anOversizedBodyWithoutContentLengthIsAFailureToo() throws Exception {
        jwks.body = document(K1);
        final KeySetSource source = loaded(QUICK);
        final KeySet before = source.current();
        jwks.chunked = true;
        jwks.body = document(K2) + " ".repeat(KeySetSource.MAX_BODY_BYTES);
        afterTheRateLimit();
        assertThat(done(source.refreshForUnknownKey())).isSameAs(before);
        jwks.body = document(K2) + " ".repeat(1000);
        afterTheRateLimit();
        assertThat(done(source.refreshForUnknownKey()).kids()).as("a chunked body under the limit")
                .containsExactly("k2");
    }

    @Test
    void whatIsNotAUsableKeySetIsAFailure() throws Exception {
        jwks.body = document(K1);
        final KeySetSource source = loaded(QUICK);
        final KeySet before = source.current();
        for (String body : new String[] {"{\"keys\":[]}", "<html>maintenance</html>",
                "{\"keys\":[{\"kty\":\"EC\"}]}"}) {
            jwks.body = body;
            afterTheRateLimit();
            assertThat(done(source.refreshForUnknownKey())).as(body).isSameAs(before);
        }
        jwks.statuses.add(302);
        afterTheRateLimit();
        assertThat(done(source.refreshForUnknownKey())).as("a redirect").isSameAs(before);
        jwks.statuses.add(404);
        afterTheRateLimit();
        assertThat(done(source.refreshForUnknownKey())).isSameAs(before);
        await(() -> results.size() == 6);
        assertThat(results).containsExactly(KeySetSource.SUCCESS, KeySetSource.FAILURE, KeySetSource.FAILURE,
                KeySetSource.FAILURE, KeySetSource.FAILURE, KeySetSource.FAILURE);
        assertThat(jwks.requests.get()).isEqualTo(6);
    }

    @Test
    void anEmptyFirstDocumentLeavesTheSourceUnloaded() {
        jwks.body = "{\"keys\":[]}";
        final KeySetSource source = source(QUICK);
        source.start();
        await(() -> results.size() >= 2);
        assertThat(source.loaded()).isFalse();
        assertThat(source.current()).isNull();
        jwks.body = document(K1);
        await(source::loaded);
    }

    @Test
    void aSlowServerIsATimeout() throws Exception {
        jwks.body = document(K1);
        // A second: the first fetch of a loaded machine (the HTTP client starting) stays well inside it.
        final KeySetSource source = new KeySetSource(jwks.url(), Duration.ofSeconds(1), results::add, QUICK,
                nanos::get);
        sources.add(source);
        source.start();
        await(source::loaded);
        final KeySet before = source.current();
        await(() -> results.contains(KeySetSource.SUCCESS)); // counted just after the keys are in force
        final int fetches = results.size();
        jwks.gate = new CountDownLatch(1);
        afterTheRateLimit();
        assertThat(done(source.refreshForUnknownKey())).isSameAs(before);
        await(() -> results.size() == fetches + 1);
        assertThat(results.get(fetches)).isEqualTo(KeySetSource.FAILURE);
        jwks.gate.countDown();
    }

    @Test
    void keysAreRefreshedPeriodically() {
        jwks.body = document(K1);
        final KeySetSource source = loaded(new KeySetSource.Schedule(Duration.ofMinutes(1), Duration.ofMillis(50),
                Duration.ofMillis(20), Duration.ofMillis(100)));
        final KeySet first = source.current();
        jwks.body = document(K2);
        await(() -> source.current() != first);
        assertThat(source.current().kids()).containsExactly("k2");
        await(() -> jwks.requests.get() >= 3);
    }

    @Test
    void aFailedRefreshKeepsTheSetAndRetriesNoMoreThanTheInterval() {
        jwks.body = document(K1);
        final Duration interval = Duration.ofMillis(300);
        final KeySetSource source = loaded(new KeySetSource.Schedule(interval, Duration.ofMillis(10),
                Duration.ofMillis(10), Duration.ofMillis(20)));
        jwks.failAll = true;
        await(() -> results.contains(KeySetSource.FAILURE));
        final KeySet kept = source.current();
        final int before = jwks.requests.get();
        await(() -> jwks.requests.get() >= before + 2);
        final List<Long> times = new ArrayList<>(jwks.requestNanos);
        final int last = times.size() - 1;
        assertThat(times.get(last) - times.get(last - 1)).isGreaterThanOrEqualTo(interval.toNanos() - 20_000_000);
        assertThat(source.current()).isSameAs(kept);
        assertThat(source.loaded()).isTrue();
    }

    @Test
    void closeCompletesPendingFuturesWithTheCurrentSet() throws Exception {
        jwks.body = document(K1);
        final KeySetSource source = loaded(QUICK);
        final KeySet before = source.current();
        jwks.gate = new CountDownLatch(1);
        afterTheRateLimit();
        final CompletableFuture<KeySet> pending = source.refreshForUnknownKey();
        await(() -> jwks.requests.get() == 2);
        assertThat(pending).isNotDone();
        source.close();
        assertThat(done(pending)).isSameAs(before);
        assertThat(done(source.refreshForUnknownKey())).isSameAs(before);
        jwks.gate.countDown();
        assertThat(results).containsExactly(KeySetSource.SUCCESS);
    }

    @Test
    void closeBeforeAnyLoadCompletesWithNull() throws Exception {
        jwks.gate = new CountDownLatch(1);
        jwks.body = document(K1);
        final KeySetSource source = source(QUICK);
        source.start();
        final CompletableFuture<KeySet> pending = source.refreshForUnknownKey();
        await(() -> jwks.requests.get() == 1);
        source.close();
        assertThat(done(pending)).isNull();
        jwks.gate.countDown();
    }

    @Test
    void anUnreachableUrlIsAFailure() throws Exception {
        final URI unreachable = jwks.url();
        jwks.stop();
        final KeySetSource source = new KeySetSource(unreachable, FETCH_TIMEOUT, results::add, QUICK, nanos::get);
        sources.add(source);
        source.start();
        await(() -> results.size() >= 2);
        assertThat(results).containsOnly(KeySetSource.FAILURE);
        assertThat(source.loaded()).isFalse();
    }

    @Test
    void futuresCompleteOnTheFetchThreadNamedForTheHost() throws Exception {
        jwks.body = document(K1);
        final KeySetSource source = loaded(QUICK);
        jwks.gate = new CountDownLatch(1);
        afterTheRateLimit();
        final CompletableFuture<Thread> completer = source.refreshForUnknownKey()
                .thenApply(keys -> Thread.currentThread());
        jwks.gate.countDown();
        final Thread thread = completer.get(10, TimeUnit.SECONDS);
        assertThat(thread.getName()).isEqualTo("identity-keys-127.0.0.1");
        assertThat(thread.isDaemon()).isTrue();
    }

    /** A JWKS endpoint on loopback whose document, answers and pace the test sets. */
    static final class JwksServer {
        volatile String body = "{\"keys\":[]}";
        volatile CountDownLatch gate;
        volatile boolean chunked;
        volatile boolean failAll;
        volatile String accept;
        final ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
        final AtomicInteger requests = new AtomicInteger();
        final ConcurrentLinkedQueue<Long> requestNanos = new ConcurrentLinkedQueue<>();
        private HttpServer server;
        private ExecutorService executor;
        private boolean stopped;

        void start() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/keys", exchange -> {
                requests.incrementAndGet();
                requestNanos.add(System.nanoTime());
                accept = exchange.getRequestHeaders().getFirst("Accept");
                final CountDownLatch latch = gate;
                try {
                    if (latch != null) {
                        latch.await(20, TimeUnit.SECONDS);
                    }
                    final Integer queued = statuses.poll();
                    final int status = failAll ? 500 : queued == null ? 200 : queued;
                    final byte[] bytes = status == 200 ? body.getBytes(StandardCharsets.UTF_8)
                            : "{\"error\":\"no\"}".getBytes(StandardCharsets.UTF_8);
                    if (status == 302) {
                        exchange.getResponseHeaders().add("Location", "http://127.0.0.1:1/elsewhere");
                    }
                    exchange.getResponseHeaders().add("Content-Type", "application/json");
                    exchange.sendResponseHeaders(status, chunked ? 0 : bytes.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(bytes);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException closedByTheClient) {
                    // The source gave up (timeout, size limit, close): nothing to answer.
                } finally {
                    exchange.close();
                }
            });
            // Several threads, so that a request held at the gate does not hold the others.
            executor = Executors.newCachedThreadPool(r -> {
                final Thread t = new Thread(r, "jwks-test-server");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/keys");
        }

        void stop() {
            if (stopped) {
                return;
            }
            stopped = true;
            final CountDownLatch latch = gate;
            if (latch != null) {
                latch.countDown();
            }
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
