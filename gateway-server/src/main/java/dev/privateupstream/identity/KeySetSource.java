package dev.privateupstream.identity;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@link KeySet} of one JWKS URL current (SPEC §13), off the event loops: a fetch blocks, so it runs
 * on this source's own daemon thread, {@code identity-keys-<host>}.
 *
 * <p>{@link #start()} fetches at once and, until a fetch succeeds, again after 1 s, 2 s, 4 s... up to 30 s.
 * After a success the keys are refreshed every 12 hours; a failed refresh keeps the last good set and retries
 * with the same back-off, but never sooner than a minute after the previous try. A token naming an unknown
 * {@code kid} may ask for one more fetch through {@link #refreshForUnknownKey()}, at most one a minute whatever
 * the number of callers. A fetch is a plain HTTP/1.1 {@code GET} ({@code Accept: application/json}, no
 * redirects followed, the JVM's proxy settings honoured) that must answer {@code 200} with a JWK set holding at
 * least one usable key within the fetch timeout and 1 MiB; anything else is a failure that changes nothing.
 *
 * <p>Each fetch counts one {@code gateway_identity_key_refreshes_total{result}}: the consumer given to the
 * constructor receives {@code "success"} or {@code "failure"}. Logs name the URL, the number of keys and their
 * kids, never key material.
 */
public final class KeySetSource implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(KeySetSource.class);

    /** The metric label of a fetch that replaced the key set. */
    public static final String SUCCESS = "success";
    /** The metric label of a fetch that left the key set as it was. */
    public static final String FAILURE = "failure";

    /** A JWKS document is a few KB; Entra's is about 10 KB. The log message says 1 MiB. */
    static final int MAX_BODY_BYTES = 1024 * 1024;

    /**
     * When fetches happen.
     *
     * @param unknownKidInterval the least time between the starts of two fetches asked for by unknown kids,
     *        and between a failed refresh and its retry once a set was loaded
     * @param refreshPeriod the time from a successful fetch to the next
     * @param firstRetry the delay after the first failure, doubled after each further one
     * @param maxRetry the longest delay between retries before the first success
     */
    record Schedule(Duration unknownKidInterval, Duration refreshPeriod, Duration firstRetry, Duration maxRetry) {
        /** The values of SPEC §13. */
        static final Schedule SPEC =
                new Schedule(Duration.ofMinutes(1), Duration.ofHours(12), Duration.ofSeconds(1),
                        Duration.ofSeconds(30));
    }

    private final URI jwksUrl;
    private final Duration fetchTimeout;
    private final Consumer<String> refreshes;
    private final Schedule schedule;
    private final LongSupplier nanoTime;
    private final HttpClient client;
    private final ScheduledExecutorService thread;
    private final Object lock = new Object();

    private volatile KeySet current;
    // Guarded by lock.
    private CompletableFuture<KeySet> inFlight;
    /** When an unknown {@code kid} last started a fetch: such fetches happen at most once a minute. */
    private long lastUnknownKeyFetchNanos;
    private boolean unknownKeyFetched;
    private long retryDelayMillis;
    private ScheduledFuture<?> next;
    private boolean started;
    private boolean closed;

    /**
     * A source that does nothing until {@link #start()}.
     *
     * @param jwksUrl the {@code jwksUrl} of an {@code identity} block
     * @param fetchTimeout how long one fetch may take, from connecting to the last byte of the body
     * @param refreshes told {@link #SUCCESS} or {@link #FAILURE} after each fetch, on the fetch thread
     */
    public KeySetSource(URI jwksUrl, Duration fetchTimeout, Consumer<String> refreshes) {
        this(jwksUrl, fetchTimeout, refreshes, Schedule.SPEC, System::nanoTime);
    }

    /** For tests: shorter intervals, and the clock the unknown-kid rate limit reads. */
    KeySetSource(URI jwksUrl, Duration fetchTimeout, Consumer<String> refreshes, Schedule schedule,
            LongSupplier nanoTime) {
        this.jwksUrl = requireNonNull(jwksUrl, "jwksUrl");
        this.fetchTimeout = requireNonNull(fetchTimeout, "fetchTimeout");
        this.refreshes = requireNonNull(refreshes, "refreshes");
        this.schedule = requireNonNull(schedule, "schedule");
        this.nanoTime = requireNonNull(nanoTime, "nanoTime");
        if (fetchTimeout.isNegative() || fetchTimeout.isZero()) {
            throw new IllegalArgumentException("fetchTimeout: " + fetchTimeout + " (expected: > 0)");
        }
        this.retryDelayMillis = schedule.firstRetry().toMillis();
        final HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(fetchTimeout);
        if (ProxySelector.getDefault() != null) {
            // Honours -Dhttps.proxyHost where egress must go through a proxy; direct otherwise.
            builder.proxy(ProxySelector.getDefault());
        }
        this.client = builder.build();
        final String threadName = "identity-keys-" + (jwksUrl.getHost() == null ? "unknown" : jwksUrl.getHost());
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts fetching: once at once, then as the class describes. Calling it again does nothing. */
    public void start() {
        synchronized (lock) {
            if (started || closed) {
                return;
            }
            started = true;
            startFetch();
        }
    }

    /** The last set fetched successfully, or {@code null} until one was. */
    public KeySet current() {
        return current;
    }

    /** Whether a set was ever loaded: until then, calls that need a token get {@code 503}. */
    public boolean loaded() {
        return current != null;
    }

    public URI jwksUrl() {
        return jwksUrl;
    }

    /**
     * Asks for fresh keys because a token named a {@code kid} the current set lacks. Joins the fetch in flight
     * if there is one; else, if the last fetch an unknown {@code kid} asked for started less than a minute ago,
     * answers {@link #current()} at once without fetching; else fetches now. The start's and the timed
     * fetches do not count: a key rolled over just after a timed fetch is still fetched at once. Never
     * blocks.
     *
     * @return completes, on the fetch thread or at once, with the set current by then ({@code null} if none was
     *         ever loaded); never exceptionally. Callers hop back to their own event loop.
     */
    public CompletableFuture<KeySet> refreshForUnknownKey() {
        synchronized (lock) {
            if (inFlight != null) {
                return inFlight;
            }
            final long now = nanoTime.getAsLong();
            if (closed || unknownKeyFetched
                    && now - lastUnknownKeyFetchNanos < schedule.unknownKidInterval().toNanos()) {
                return CompletableFuture.completedFuture(current);
            }
            unknownKeyFetched = true;
            lastUnknownKeyFetchNanos = now;
            return startFetch();
        }
    }

    /** Stops the thread; futures still pending complete with the current set. */
    @Override
    public void close() {
        final CompletableFuture<KeySet> pending;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (next != null) {
                next.cancel(false);
            }
            pending = inFlight;
            inFlight = null;
        }
        thread.shutdownNow();
        if (pending != null) {
            pending.complete(current);
        }
    }

    /** Holding {@code lock}: starts a fetch on the thread unless one is in flight, and answers its future. */
    private CompletableFuture<KeySet> startFetch() {
        if (inFlight != null) {
            return inFlight;
        }
        if (next != null) {
            // A fetch now stands for the timed one; the next is scheduled when this one ends.
            next.cancel(false);
            next = null;
        }
        final CompletableFuture<KeySet> fetch = new CompletableFuture<>();
        inFlight = fetch;
        thread.execute(this::fetch);
        return fetch;
    }

    private void timedFetch() {
        synchronized (lock) {
            next = null;
            if (!closed) {
                startFetch();
            }
        }
    }

    /** On the thread: one fetch, then the bookkeeping and the next timed fetch. */
    private void fetch() {
        KeySet fetched = null;
        String failure = null;
        try {
            fetched = download();
        } catch (FetchException e) {
            failure = e.getMessage();
        } catch (InterruptedException e) {
            failure = "interrupted";
        } catch (RuntimeException e) {
            failure = e.toString();
        }
        final CompletableFuture<KeySet> done;
        final KeySet before = current;
        synchronized (lock) {
            done = inFlight;
            inFlight = null;
            if (closed) {
                // close() completed the future; an interrupted fetch is no failure worth counting.
                return;
            }
            final long delayMillis;
            if (fetched != null) {
                current = fetched;
                retryDelayMillis = schedule.firstRetry().toMillis();
                delayMillis = schedule.refreshPeriod().toMillis();
            } else {
                delayMillis = before == null ? retryDelayMillis
                        : Math.max(retryDelayMillis, schedule.unknownKidInterval().toMillis());
                retryDelayMillis = Math.min(retryDelayMillis * 2, schedule.maxRetry().toMillis());
            }
            next = thread.schedule(this::timedFetch, delayMillis, TimeUnit.MILLISECONDS);
            if (fetched != null) {
                if (before == null) {
                    logger.info("Loaded {} {} from {}", keys(fetched), fetched.kids(), jwksUrl);
                } else {
                    logger.debug("Refreshed {} {} from {}", keys(fetched), fetched.kids(), jwksUrl);
                }
            } else if (before == null) {
                logger.warn("Fetching the signing keys from {} failed: {}; no keys yet, so calls that need a token "
                        + "get 503 identity-unavailable; retrying in {}; check that the gateway reaches that URL over "
                        + "HTTPS (identity.jwksUrl, outbound firewall, proxy)", jwksUrl, failure,
                        Duration.ofMillis(delayMillis));
            } else {
                logger.warn("Fetching the signing keys from {} failed: {}; keeping the {} loaded before, "
                        + "retrying in {}; check that the gateway reaches that URL over HTTPS", jwksUrl, failure,
                        keys(before), Duration.ofMillis(delayMillis));
            }
        }
        refreshes.accept(fetched != null ? SUCCESS : FAILURE);
        if (done != null) {
            done.complete(current);
        }
    }

    private static String keys(KeySet keys) {
        return keys.size() == 1 ? "1 signing key" : keys.size() + " signing keys";
    }

    private KeySet download() throws FetchException, InterruptedException {
        final HttpRequest request = HttpRequest.newBuilder(jwksUrl)
                .GET()
                .header("Accept", "application/json")
                .timeout(fetchTimeout)
                .build();
        final CompletableFuture<HttpResponse<byte[]>> exchange =
                client.sendAsync(request, info -> info.statusCode() != 200
                        ? BodySubscribers.<byte[]>replacing(null)
                        : new LimitedBody(MAX_BODY_BYTES, info.headers().firstValueAsLong("content-length").orElse(-1)));
        final HttpResponse<byte[]> response;
        try {
            // The request timeout may stop at the headers: this bounds the whole exchange, body included.
            response = exchange.get(fetchTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new FetchException("no complete response within " + fetchTimeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw new FetchException(reason(e.getCause()));
        }
        if (response.statusCode() != 200) {
            throw new FetchException("HTTP " + response.statusCode()
                    + (response.statusCode() / 100 == 3 ? " (redirects are not followed: set jwksUrl to the target)"
                            : " (expected: 200)"));
        }
        final KeySet keys;
        try {
            keys = KeySet.parse(new String(response.body(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new FetchException(e.getMessage());
        }
        if (keys.size() == 0) {
            throw new FetchException("no RSA signing key usable for RS256 in the document");
        }
        return keys;
    }

    private String reason(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof BodyTooLargeException) {
                return cause.getMessage();
            }
            if (cause instanceof HttpConnectTimeoutException) {
                return "no connection within " + fetchTimeout.toMillis() + " ms";
            }
            if (cause instanceof HttpTimeoutException) {
                return "no response within " + fetchTimeout.toMillis() + " ms";
            }
            if (cause instanceof ConnectException && cause.getMessage() == null) {
                return "connection refused or unreachable";
            }
        }
        return failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
    }

    @Override
    public String toString() {
        return "KeySetSource[" + jwksUrl + ", " + (current == null ? "not loaded" : current) + ']';
    }

    /** Why a fetch changed nothing, in words for the log. */
    private static final class FetchException extends Exception {
        private static final long serialVersionUID = 1L;

        FetchException(String message) {
            super(message, null, false, false);
        }
    }

    private static final class BodyTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLargeException() {
            super("response body over 1 MiB");
        }
    }

    /** Collects a response body, failing as soon as it grows past the limit rather than buffering it all. */
    private static final class LimitedBody implements BodySubscriber<byte[]> {
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final int limit;
        private final long declaredLength;
        private Flow.Subscription subscription;

        LimitedBody(int limit, long declaredLength) {
            this.limit = limit;
            this.declaredLength = declaredLength;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            if (declaredLength > limit) {
                tooLarge();
                return;
            }
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                if (bytes.size() + buffer.remaining() > limit) {
                    tooLarge();
                    return;
                }
                final byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        private void tooLarge() {
            subscription.cancel();
            body.completeExceptionally(new BodyTooLargeException());
        }

        @Override
        public void onError(Throwable throwable) {
            body.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }
}
