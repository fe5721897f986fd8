package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.util.concurrent.Future;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's unary calls: a line of calls not sent yet, one keep-alive connection to one member at a time
 * (pipelined), and the move to the next member when that connection fails.
 *
 * <p>What is sent again and what is not: a call whose bytes never left (the connection could not be made,
 * or closed before they were written) waits for the next connection, within its deadline. A call whose bytes
 * left is never sent again when its connection closes or its time runs out, since etcd may have applied it;
 * the one exception is an answer saying the auth token was stale, which etcd gives before applying anything:
 * such a call is sent once more with a fresh token. Every call fails by its deadline at the latest; a call that
 * times out after it was sent also closes the connection, since the answers queued behind its missing one
 * could never arrive.
 *
 * <p>Only the event loop touches this state; {@link #call} may be called from any thread.
 */
final class UnaryCalls {
    private static final Logger logger = LoggerFactory.getLogger(UnaryCalls.class);

    /** The largest answer read: a range of many keys should be paged (see {@link EtcdClient#rangeAll}). */
    static final int MAX_ANSWER_BYTES = 64 * 1024 * 1024;

    private final EventLoop loop;
    private final Connector connector;
    private final List<URI> endpoints;
    private final Credentials credentials;
    private final Duration timeout;
    private final ArrayDeque<Call<?>> waiting = new ArrayDeque<>();
    /** The endpoints that failed to connect since the last connection that worked, with why. */
    private final List<String> connectFailures = new ArrayList<>();
    /** The index of the endpoint to connect to next. */
    private int next;
    private UnaryConnectionHandler connection;
    private URI connectingTo;
    private boolean closed;

    UnaryCalls(EventLoop loop, Connector connector, EtcdClientSettings settings) {
        this.loop = requireNonNull(loop, "loop");
        this.connector = requireNonNull(connector, "connector");
        this.endpoints = settings.endpoints();
        this.credentials = Credentials.of(settings);
        this.timeout = settings.timeout();
    }

    /** POSTs {@code body} to {@code path}; the future completes on the event loop. */
    <T> CompletableFuture<T> call(String path, ObjectNode body, Function<JsonNode, T> decode) {
        final Call<T> call = new Call<>(path, GatewayJson.write(body), decode, System.nanoTime() + timeout.toNanos());
        if (loop.inEventLoop()) {
            submit(call);
        } else {
            try {
                loop.execute(() -> submit(call));
            } catch (RejectedExecutionException e) {
                call.fail(closedClient(call));
            }
        }
        return call.future;
    }

    private void submit(Call<?> call) {
        if (closed) {
            call.fail(closedClient(call));
            return;
        }
        call.timeout = loop.schedule(() -> timedOut(call), call.deadlineNanos - System.nanoTime(),
                TimeUnit.NANOSECONDS);
        waiting.add(call);
        pump();
    }

    /** Sends what waits when a connection is ready, else gets one ready. */
    private void pump() {
        if (closed || waiting.isEmpty()) {
            return;
        }
        if (connection == null) {
            if (connectingTo == null) {
                connect();
            }
            return;
        }
        if (credentials != null && connection.token == null) {
            if (!connection.authenticating) {
                authenticate(connection);
            }
            return;
        }
        Call<?> call;
        while ((call = waiting.poll()) != null) {
            connection.send(call);
        }
        connection.flush();
    }

    private void connect() {
        final URI endpoint = endpoints.get(next);
        connectingTo = endpoint;
        final UnaryConnectionHandler handler = new UnaryConnectionHandler(this, endpoint);
        final Future<Channel> ready = connector.connect(endpoint, new HttpObjectAggregator(MAX_ANSWER_BYTES), handler);
        ready.addListener(f -> connected(handler, ready));
    }

    private void connected(UnaryConnectionHandler handler, Future<Channel> ready) {
        connectingTo = null;
        if (closed) {
            if (ready.isSuccess()) {
                ready.getNow().close();
            }
            return;
        }
        if (!ready.isSuccess() || handler.closed()) {
            final Throwable cause = ready.isSuccess() ? handler.closeCause() : ready.cause();
            connectFailures.add(handler.endpoint + " (" + (cause == null ? "closed at once" : Connector.describe(cause))
                    + ')');
            logger.debug("etcd: could not connect to {}", handler.endpoint, cause);
            next = (next + 1) % endpoints.size();
            if (connectFailures.size() >= endpoints.size()) {
                // Every member refused in a row: fail now rather than cycle until the deadlines.
                final String why = "no etcd endpoint could be reached: " + String.join(", ", connectFailures);
                connectFailures.clear();
                failWaiting(call -> EtcdException.unavailable("POST " + call.path + ": " + why, null));
                return;
            }
            pump();
            return;
        }
        connectFailures.clear();
        connection = handler;
        logger.debug("etcd: connected to {}", handler.endpoint);
        pump();
    }

    private void authenticate(UnaryConnectionHandler handler) {
        handler.authenticating = true;
        final Call<String> auth = new Call<>(Credentials.PATH, credentials.body(), Credentials::token,
                System.nanoTime() + timeout.toNanos());
        auth.reauthenticated = true; // a failed authentication is not itself worth a new token
        auth.timeout = loop.schedule(() -> timedOut(auth), timeout.toNanos(), TimeUnit.NANOSECONDS);
        auth.future.whenComplete((token, error) -> {
            handler.authenticating = false;
            if (error == null) {
                handler.token = token;
                pump();
                return;
            }
            final EtcdException failure = (EtcdException) error;
            if (failure.grpcCode() == EtcdException.NO_CODE) {
                // No answer (the connection closed or timed out): the calls waiting were not sent, and can go
                // to the next member.
                pump();
                return;
            }
            failWaiting(call -> new EtcdException(failure.kind(), failure.grpcCode(), "POST " + call.path
                    + ": authenticating as '" + credentials.username() + "' first failed: " + failure.getMessage(),
                    failure));
        });
        handler.send(auth);
        handler.flush();
    }

    /** An answer to {@code call}, which {@code handler} sent. */
    void answered(UnaryConnectionHandler handler, Call<?> call, int status, JsonNode json, String text) {
        if (call.done()) {
            return; // it timed out already
        }
        if (status == 200 && json != null && !json.hasNonNull("error")) {
            call.succeed(json, handler.endpoint.toString());
            return;
        }
        final EtcdException failure = EtcdException.fromAnswer("POST " + call.path + " to " + handler.endpoint, status,
                json, text);
        if (failure.staleToken() && credentials != null && !call.reauthenticated) {
            // etcd checks the token before applying anything, so the call can go again with a new token.
            logger.debug("etcd: {}; authenticating again", failure.getMessage());
            call.reauthenticated = true;
            call.state = Call.State.WAITING;
            if (handler.token != null && handler.token.equals(call.token)) {
                handler.token = null;
            }
            waiting.addFirst(call);
            pump();
            return;
        }
        call.fail(failure);
    }

    /** {@code handler}'s connection has closed. */
    void closed(UnaryConnectionHandler handler) {
        if (handler == connection) {
            abandon(handler, null);
        }
        final Throwable cause = handler.closeCause();
        final List<Call<?>> calls = handler.drainInFlight();
        for (ListIterator<Call<?>> it = calls.listIterator(calls.size()); it.hasPrevious(); ) {
            final Call<?> call = it.previous();
            if (call.done()) {
                continue;
            }
            // An authentication belongs to its connection: a new connection makes its own.
            if (!call.written && !closed && !Credentials.PATH.equals(call.path)) {
                call.state = Call.State.WAITING;
                waiting.addFirst(call);
            } else {
                call.fail(EtcdException.unavailable("POST " + call.path + " to " + handler.endpoint
                        + ": the connection closed before etcd answered" + (cause == null ? ""
                        : " (" + Connector.describe(cause) + ')') + "; not sent again, it may have been applied",
                        cause));
            }
        }
        pump();
    }

    /** Stops using {@code handler}'s connection (closing it) and moves on to the next endpoint. */
    private void abandon(UnaryConnectionHandler handler, Throwable cause) {
        if (handler == connection) {
            connection = null;
            next = (next + 1) % endpoints.size();
        }
        if (cause != null) {
            handler.close(cause);
        }
    }

    private void timedOut(Call<?> call) {
        if (call.done()) {
            return;
        }
        if (call.state == Call.State.WAITING) {
            waiting.remove(call);
            final String where = connectingTo != null ? " (still connecting to " + connectingTo + ')'
                    : connection != null && connection.authenticating ? " (still authenticating at "
                    + connection.endpoint + ')' : "";
            call.fail(EtcdException.unavailable("POST " + call.path + ": not sent within " + timeout + where, null));
            return;
        }
        final UnaryConnectionHandler handler = call.sentOn;
        final EtcdException failure = EtcdException.unavailable("POST " + call.path + " to " + handler.endpoint
                + ": no answer within " + timeout + "; it may still be applied", null);
        call.fail(failure);
        // Answers come in order: the ones behind this missing answer would wait for it too.
        abandon(handler, failure);
        pump();
    }

    private void failWaiting(Function<Call<?>, EtcdException> failure) {
        final List<Call<?>> calls = new ArrayList<>(waiting);
        waiting.clear();
        for (Call<?> call : calls) {
            call.fail(failure.apply(call));
        }
    }

    private static EtcdException closedClient(Call<?> call) {
        return new EtcdException(EtcdException.Kind.REJECTED, EtcdException.NO_CODE, "POST " + call.path
                + ": the etcd client is closed", null);
    }

    /** Fails every call not answered yet and closes the connection. Runs on the event loop. */
    void close() {
        closed = true;
        failWaiting(call -> EtcdException.unavailable("POST " + call.path
                + ": the etcd client closed before it was sent", null));
        final UnaryConnectionHandler handler = connection;
        if (handler != null) {
            for (Call<?> call : handler.drainInFlight()) {
                call.fail(EtcdException.unavailable("POST " + call.path + " to " + handler.endpoint
                        + ": the etcd client closed before etcd answered; it may have been applied", null));
            }
            abandon(handler, new IllegalStateException("the etcd client closed"));
        }
    }
}
