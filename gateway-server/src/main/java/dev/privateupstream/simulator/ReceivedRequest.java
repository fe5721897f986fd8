package dev.privateupstream.simulator;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A request as a {@link FunctionsBackend} received it. Header values are the bytes on the wire read as
 * ISO-8859-1, as Netty decodes them; the body is unframed (chunks joined).
 *
 * @param method the request method
 * @param uri the request target as sent
 * @param headers every header line in order, names as sent
 * @param body the body bytes; a copy is kept and handed out
 * @param peer the TCP peer the request came from (the gateway, when it sits in between)
 * @param status the status the backend answered with
 */
public record ReceivedRequest(String method, String uri, List<HeaderField> headers, byte[] body,
                              InetSocketAddress peer, int status) {

    public ReceivedRequest {
        requireNonNull(method, "method");
        requireNonNull(uri, "uri");
        headers = List.copyOf(headers);
        body = requireNonNull(body, "body").clone();
        requireNonNull(peer, "peer");
    }

    /** A copy of the body. */
    @Override
    public byte[] body() {
        return body.clone();
    }

    /** The first value of a header, the name compared case-insensitively, or {@code null}. */
    public String header(String name) {
        return HeaderField.first(headers, name);
    }

    /** Every value of a header, the name compared case-insensitively, in order. */
    public List<String> headers(String name) {
        return HeaderField.all(headers, name);
    }

    /** The {@code X-Forwarded-For} value, or {@code null} when none came (several lines joined by {@code ", "}). */
    public String forwardedFor() {
        final List<String> values = headers("X-Forwarded-For");
        return values.isEmpty() ? null : String.join(", ", values);
    }

    /** The body decoded as UTF-8. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return method + ' ' + uri + " from " + peer + " -> " + status + " (" + body.length + " body bytes)";
    }
}
