package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * Why an etcd call failed, sorted by what the caller can do about it ({@link #kind()}). The message names the
 * endpoint and the call.
 */
public final class EtcdException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What a failure means for the caller. */
    public enum Kind {
        /**
         * The cluster could not be reached or could not decide in time: connection refused or closed, no answer
         * within the timeout, no leader, HTTP 503, gRPC code 14, a server-side request timeout. A write that
         * fails so may or may not have been applied; retrying it is safe only when it is a compare-and-swap.
         */
        UNAVAILABLE,
        /** The revision asked for has been compacted away (gRPC code 11): read again at the latest revision. */
        COMPACTED,
        /** etcd refused the call (a bad request, failed authentication, missing permission...): do not retry. */
        REJECTED
    }

    /** The grpcCode of failures that never got an answer from etcd. */
    public static final int NO_CODE = -1;

    private static final int INVALID_ARGUMENT = 3;
    private static final int UNKNOWN = 2;
    private static final int DEADLINE_EXCEEDED = 4;
    private static final int NOT_FOUND = 5;
    private static final int OUT_OF_RANGE = 11;
    private static final int UNAVAILABLE_CODE = 14;
    private static final int UNAUTHENTICATED = 16;

    private final Kind kind;
    private final int grpcCode;

    EtcdException(Kind kind, int grpcCode, String message, Throwable cause) {
        super(message, cause);
        this.kind = requireNonNull(kind, "kind");
        this.grpcCode = grpcCode;
    }

    /** A failure with no answer from etcd: a connection that failed, closed or timed out. */
    static EtcdException unavailable(String message, Throwable cause) {
        return new EtcdException(Kind.UNAVAILABLE, NO_CODE, message, cause);
    }

    /**
     * What etcd's answer with that HTTP status and body means; {@code call} names the call and the endpoint.
     * The gateway answers an error as {@code {"error":"…","message":"…","code":<gRPC code>}}, or inside a stream
     * (a watch, a lease keep-alive) as {@code {"error":{"grpc_code":…,"http_code":…,"message":…}}}.
     *
     * @param body the parsed body, or {@code null} when it is not JSON ({@code text} then holds it)
     */
    static EtcdException fromAnswer(String call, int httpStatus, JsonNode body, String text) {
        int code = NO_CODE;
        String message = text;
        boolean inStream = false;
        if (body != null) {
            final JsonNode error = body.path("error");
            inStream = error.isObject();
            if (inStream) {
                code = error.path("grpc_code").asInt(NO_CODE);
                message = error.path("message").asText("");
            } else {
                code = body.path("code").asInt(NO_CODE);
                message = body.path("message").asText(error.asText(""));
            }
        }
        final Kind kind = kind(httpStatus, code, message);
        return new EtcdException(kind, code, call + " failed: " + (inStream ? "error in the stream" : "HTTP "
                + httpStatus) + (code == NO_CODE ? "" : ", gRPC code " + code) + ": " + message, null);
    }

    static Kind kind(int httpStatus, int code, String message) {
        final String lower = message.toLowerCase(Locale.ROOT);
        if (code == OUT_OF_RANGE && lower.contains("compacted")) {
            return Kind.COMPACTED;
        }
        // "context deadline exceeded" (code 2) is what a write without quorum gets after the server's own
        // request timeout; "request timed out", "no leader" and "leader changed" come with code 14 or 2.
        if (httpStatus == 503 || code == UNAVAILABLE_CODE || code == DEADLINE_EXCEEDED
            || code == UNKNOWN && (lower.contains("deadline exceeded") || lower.contains("timed out"))
            || lower.contains("no leader") || lower.contains("leader changed")) {
            return Kind.UNAVAILABLE;
        }
        return Kind.REJECTED;
    }

    public Kind kind() {
        return kind;
    }

    /** The gRPC status code etcd answered with, or {@link #NO_CODE} when the failure had no answer. */
    public int grpcCode() {
        return grpcCode;
    }

    /**
     * Whether etcd refused the call for its auth token (expired, issued by another member, or issued before a
     * change to users or roles): the call was not applied, and a new token may get it through.
     */
    boolean staleToken() {
        final String message = String.valueOf(getMessage());
        return grpcCode == UNAUTHENTICATED
               || grpcCode == INVALID_ARGUMENT && message.contains("revision of auth store is old");
    }

    /** Whether etcd answered that the thing asked about does not exist (a lease, for one). */
    boolean notFound() {
        return grpcCode == NOT_FOUND;
    }
}
