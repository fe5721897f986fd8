package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Function;

/**
 * One unary call: a POST of a JSON body to a {@code /v3/...} path, the future its caller holds, and where the
 * call stands. Only the client's event loop touches it.
 */
final class Call<T> {
    /** Where a call stands; it only moves forward, except SENT back to WAITING when its bytes never left. */
    enum State { WAITING, SENT, DONE }

    final String path;
    private final byte[] body;
    private final Function<JsonNode, T> decode;
    final CompletableFuture<T> future = new CompletableFuture<>();
    final long deadlineNanos;

    State state = State.WAITING;
    /** Whether the request's bytes went out: from then on it is never sent again (it may have been applied). */
    boolean written;
    /** The token it was sent with, to tell whether a "stale token" answer is about the current one. */
    String token;
    /** The connection it was last sent on. */
    UnaryConnectionHandler sentOn;
    /** Whether it was already sent again with a new token once. */
    boolean reauthenticated;
    ScheduledFuture<?> timeout;

    Call(String path, byte[] body, Function<JsonNode, T> decode, long deadlineNanos) {
        this.path = requireNonNull(path, "path");
        this.body = requireNonNull(body, "body");
        this.decode = requireNonNull(decode, "decode");
        this.deadlineNanos = deadlineNanos;
    }

    /** The request; a new buffer each time, so a call sent again owns a fresh one. */
    FullHttpRequest request(String host, String token) {
        final FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                Unpooled.wrappedBuffer(body));
        request.headers()
                .set(HttpHeaderNames.HOST, host)
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (token != null) {
            request.headers().set(HttpHeaderNames.AUTHORIZATION, token);
        }
        return request;
    }

    boolean done() {
        return state == State.DONE;
    }

    /** Completes the future with the decoded answer, or fails it when the answer cannot be read. */
    void succeed(JsonNode answer, String endpoint) {
        if (!finish()) {
            return;
        }
        final T value;
        try {
            value = decode.apply(answer);
        } catch (RuntimeException e) {
            future.completeExceptionally(new EtcdException(EtcdException.Kind.REJECTED, EtcdException.NO_CODE,
                    "POST " + path + " to " + endpoint + ": unreadable answer: " + e.getMessage(), e));
            return;
        }
        future.complete(value);
    }

    void fail(EtcdException cause) {
        if (finish()) {
            future.completeExceptionally(cause);
        }
    }

    private boolean finish() {
        if (state == State.DONE) {
            return false;
        }
        state = State.DONE;
        if (timeout != null) {
            timeout.cancel(false);
        }
        return true;
    }
}
