package dev.privateupstream.proxy;

import dev.privateupstream.policy.DenyReason;
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

/**
 * The answers the proxy port makes itself: status, the JSON body
 * {@code {"error":"<reason phrase>","reason":"<reason>"}}, and for access refusals the header
 * {@code X-Gateway-Deny-Reason} (SPEC §5, §6).
 */
public final class GatewayResponses {
    public static final AsciiString DENY_REASON_HEADER = AsciiString.cached("X-Gateway-Deny-Reason");

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
        final FullHttpResponse response = build(alloc, reason.httpStatus(), reason.wireText(), false);
        response.headers().set(DENY_REASON_HEADER, reason.wireText());
        return response;
    }

    /** An error of SPEC §6. */
    public static FullHttpResponse error(ByteBufAllocator alloc, ProxyError error, boolean close) {
        return build(alloc, error.httpStatus(), error.wireText(), close);
    }

    private static FullHttpResponse build(ByteBufAllocator alloc, int status, String reason, boolean close) {
        final HttpResponseStatus s = HttpResponseStatus.valueOf(status);
        // Reason phrases and reasons are fixed ASCII without quotes or backslashes: no escaping needed.
        final byte[] json = ("{\"error\":\"" + s.reasonPhrase() + "\",\"reason\":\"" + reason + "\"}")
                .getBytes(StandardCharsets.US_ASCII);
        final ByteBuf body = alloc.buffer(json.length).writeBytes(json);
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
