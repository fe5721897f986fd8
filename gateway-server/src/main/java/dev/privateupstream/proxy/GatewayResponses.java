package dev.privateupstream.proxy;

import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.webpubsub.WebPubSubHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;

/**
 * The answers the proxy port makes itself: status, the JSON body
 * {@code {"error":"<reason phrase>","reason":"<reason>"}}, and for access refusals the header
 * {@code X-Gateway-Deny-Reason} (SPEC §5, §6).
 */
public final class GatewayResponses {
    public static final AsciiString DENY_REASON_HEADER = AsciiString.cached("X-Gateway-Deny-Reason");
    public static final AsciiString ALLOWED_ORIGIN_HEADER = AsciiString.cached(WebPubSubHeaders.ALLOWED_ORIGIN);
    private static final AsciiString BEARER = AsciiString.cached("Bearer");

    // Every answer's status and JSON body, built once: answering costs a copy into a pooled buffer.
    private static final Map<DenyReason, Answer> DENIALS = new EnumMap<>(DenyReason.class);
    private static final Map<ProxyError, Answer> ERRORS = new EnumMap<>(ProxyError.class);

    static {
        for (DenyReason reason : DenyReason.values()) {
            if (!reason.closesConnection()) {
                DENIALS.put(reason, Answer.of(reason.httpStatus(), reason.wireText()));
            }
        }
        for (ProxyError error : ProxyError.values()) {
            ERRORS.put(error, Answer.of(error.httpStatus(), error.wireText()));
        }
    }

    private GatewayResponses() {
    }

    /** Whether a message is an interim {@code 1xx} response, which precedes the real one. */
    public static boolean isInformational(Object msg) {
        return msg instanceof HttpResponse
                && ((HttpResponse) msg).status().codeClass() == HttpStatusClass.INFORMATIONAL;
    }

    /** {@code 100 Continue}, for a client that waits for it before sending its body. */
    public static FullHttpResponse continueResponse() {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE);
    }

    /** A refusal of SPEC §5 or §6a; the connection stays open. */
    public static FullHttpResponse deny(ByteBufAllocator alloc, DenyReason reason) {
        final Answer answer = DENIALS.get(reason);
        if (answer == null) {
            throw new IllegalArgumentException("reason: " + reason + " (expected one answered with a status)");
        }
        final FullHttpResponse response = build(alloc, answer, false);
        response.headers().set(DENY_REASON_HEADER, answer.reason);
        if (reason == DenyReason.MISSING_TOKEN || reason == DenyReason.INVALID_TOKEN) {
            // RFC 6750 §3: a 401 for a bearer token names the scheme; nothing about why (SPEC §13).
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, BEARER);
        }
        return response;
    }

    /** {@code 200} to Web PubSub's abuse-protection handshake, allowing {@code origin} (SPEC §13). */
    public static FullHttpResponse allowedOrigin(String origin) {
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(ALLOWED_ORIGIN_HEADER, origin).set(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }

    /** An error of SPEC §6. */
    public static FullHttpResponse error(ByteBufAllocator alloc, ProxyError error, boolean close) {
        return build(alloc, ERRORS.get(error), close);
    }

    private static FullHttpResponse build(ByteBufAllocator alloc, Answer answer, boolean close) {
        final byte[] json = answer.json;
        final ByteBuf body = alloc.buffer(json.length).writeBytes(json);
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CONTENT_LENGTH, answer.contentLength);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /** A status with its JSON body and the reason as header value. */
    private static final class Answer {
        final HttpResponseStatus status;
        final byte[] json;
        final AsciiString reason;
        final AsciiString contentLength;

        private Answer(HttpResponseStatus status, byte[] json, AsciiString reason) {
            this.status = status;
            this.json = json;
            this.reason = reason;
            contentLength = AsciiString.of(Integer.toString(json.length));
        }

        static Answer of(int status, String reason) {
            final HttpResponseStatus s = HttpResponseStatus.valueOf(status);
            // Reason phrases and reasons are fixed ASCII without quotes or backslashes: no escaping needed.
            final byte[] json = ("{\"error\":\"" + s.reasonPhrase() + "\",\"reason\":\"" + reason + "\"}")
                    .getBytes(StandardCharsets.US_ASCII);
            return new Answer(s, json, AsciiString.cached(reason));
        }
    }
}
