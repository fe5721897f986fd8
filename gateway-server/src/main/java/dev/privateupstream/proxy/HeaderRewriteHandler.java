package dev.privateupstream.proxy;

import dev.privateupstream.caller.ConnectionFacts;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.List;

/**
 * Rewrites the headers of an allowed request on its way to the backend, and of the backend's response on
 * its way back (SPEC §6).
 *
 * <p>Upstream, the backend gets exactly one {@code X-Forwarded-For}, the caller's canonical address, so
 * nothing a client sends can pose as the private endpoint's IP; {@code Forwarded}, {@code X-Real-IP},
 * {@code X-Client-IP} and {@code True-Client-IP} are dropped; {@code X-Forwarded-Proto} and
 * {@code X-Forwarded-Host} are set. Both ways, hop-by-hop headers (and any that {@code Connection} names)
 * are removed and the message is re-framed: chunked when it carries a body without {@code Content-Length}.
 */
@Sharable
final class HeaderRewriteHandler extends ChannelDuplexHandler {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString HTTPS = AsciiString.cached("https");

    private static final AsciiString[] SPOOFABLE = {
        AsciiString.cached("Forwarded"), AsciiString.cached("X-Real-IP"), AsciiString.cached("X-Client-IP"),
        AsciiString.cached("True-Client-IP"),
    };

    private static final AsciiString[] HOP_BY_HOP = {
        HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.TE,
        HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE,
        HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.PROXY_AUTHENTICATE,
    };

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
            rewriteRequest((HttpRequest) msg, exchange, ConnectionFacts.of(ctx.channel()).secure());
        }
        ctx.fireChannelRead(msg); // modified in place; ownership passes on
    }

    static void rewriteRequest(HttpRequest request, ProxyExchange exchange, boolean secure) {
        final HttpHeaders headers = request.headers();
        final boolean chunked = headers.contains(HttpHeaderNames.TRANSFER_ENCODING);
        removeHopByHop(headers);
        for (AsciiString name : SPOOFABLE) {
            headers.remove(name);
        }
        headers.set(X_FORWARDED_FOR, exchange.caller.canonical());
        headers.set(X_FORWARDED_PROTO, secure ? HTTPS : HTTP);
        final String host = headers.get(HttpHeaderNames.HOST);
        if (host != null) {
            headers.set(X_FORWARDED_HOST, host);
        } else {
            headers.remove(X_FORWARDED_HOST);
        }
        if (chunked) {
            // LimitsHandler let only a single "chunked" through: keep the body chunked to the backend.
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        // The relay answers 100-continue itself once the backend is connected.
        exchange.expectContinue = HttpUtil.is100ContinueExpected(request);
        headers.remove(HttpHeaderNames.EXPECT);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse) {
            rewriteResponse((HttpResponse) msg, ProxyExchange.current(ctx.channel()));
        }
        ctx.write(msg, promise);
    }

    static void rewriteResponse(HttpResponse response, ProxyExchange exchange) {
        final HttpHeaders headers = response.headers();
        removeHopByHop(headers);
        if (exchange == null || headers.contains(HttpHeaderNames.CONTENT_LENGTH) || !hasBody(response, exchange)) {
            return;
        }
        if (exchange.request.protocolVersion() == HttpVersion.HTTP_1_0) {
            exchange.closeAfterResponse = true; // HTTP/1.0 has no chunked coding: the close ends the body
        } else {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
    }

    private static boolean hasBody(HttpResponse response, ProxyExchange exchange) {
        final int code = response.status().code();
        return code >= 200 && code != 204 && code != 304 && exchange.request.method() != HttpMethod.HEAD;
    }

    private static void removeHopByHop(HttpHeaders headers) {
        if (headers.contains(HttpHeaderNames.CONNECTION) && !onlyUsualConnectionOptions(headers)) {
            removeConnectionOptions(headers);
        }
        for (AsciiString name : HOP_BY_HOP) {
            headers.remove(name);
        }
    }

    /**
     * Whether every {@code Connection} value is just {@code keep-alive} or {@code close}, as nearly all are:
     * the header they name is then {@code Keep-Alive}, removed with the other hop-by-hop ones, or
     * {@code close}, removed here, and nothing needs cutting into tokens.
     */
    private static boolean onlyUsualConnectionOptions(HttpHeaders headers) {
        final Iterator<? extends CharSequence> values = headers.valueCharSequenceIterator(HttpHeaderNames.CONNECTION);
        boolean close = false;
        while (values.hasNext()) {
            final CharSequence value = values.next();
            if (HttpHeaderValues.CLOSE.contentEqualsIgnoreCase(value)) {
                close = true;
            } else if (!HttpHeaderValues.KEEP_ALIVE.contentEqualsIgnoreCase(value)) {
                return false;
            }
        }
        if (close) {
            headers.remove(HttpHeaderValues.CLOSE);
        }
        return true;
    }

    private static void removeConnectionOptions(HttpHeaders headers) {
        final List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
        for (String value : connection) {
            int start = 0;
            while (start <= value.length()) {
                int comma = value.indexOf(',', start);
                if (comma < 0) {
                    comma = value.length();
                }
                final String name = value.substring(start, comma).trim();
                // Framing and routing headers are end-to-end whatever Connection says: dropping
                // Content-Length would leave the backend to guess where the body ends.
                if (!name.isEmpty() && !HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                        && !HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)) {
                    headers.remove(name);
                }
                start = comma + 1;
            }
        }
    }
}
