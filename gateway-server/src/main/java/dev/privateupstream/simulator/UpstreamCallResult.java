package dev.privateupstream.simulator;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A response to an {@link UpstreamCall}, read in full: status line, header lines in order (names as the server
 * wrote them, trailers of a chunked body appended) and the body without its transfer framing.
 *
 * @param status the status code
 * @param reasonPhrase the reason phrase, possibly empty
 * @param headers the header lines in order
 * @param body the body bytes; a copy is kept and handed out
 */
public record UpstreamCallResult(int status, String reasonPhrase, List<HeaderField> headers, byte[] body) {

    public UpstreamCallResult {
        requireNonNull(reasonPhrase, "reasonPhrase");
        headers = List.copyOf(headers);
        body = requireNonNull(body, "body").clone();
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

    /** The body decoded as UTF-8. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Whether the status is 2xx. */
    public boolean isSuccess() {
        return status >= 200 && status < 300;
    }

    /** The status line without the version, e.g. {@code 200 OK}. */
    @Override
    public String toString() {
        return status + (reasonPhrase.isEmpty() ? "" : " " + reasonPhrase) + " (" + body.length + " body bytes)";
    }
}
