package dev.privateupstream.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * Refuses requests that are malformed, ambiguous to frame, of a method or target a reverse proxy must
 * not serve, or larger than the limits (SPEC §4 {@code limits}, §6).
 *
 * <p>Framing must be unambiguous because the backend re-parses what we forward: a request with both
 * {@code Content-Length} and {@code Transfer-Encoding}, several {@code Content-Length}s, a length that is
 * not plain digits, or a transfer coding other than a single {@code chunked} gets {@code 400} and the
 * connection closes. An absolute-form target is rewritten to origin form with its authority as
 * {@code Host}, so routing sees what the backend will. A body over {@code maxBodyBytes} gets {@code 413}:
 * at once when {@code Content-Length} says so, or as soon as a chunked body passes the limit; a malformed
 * chunk gets {@code 400}. Both can happen after the head went on to the backend, so they fire
 * {@link RequestAbortedEvent} first: the backend connection is closed and never sees the request end.
 */
final class LimitsHandler extends ChannelInboundHandlerAdapter {
    private final long maxBodyBytes;
    private long bodyBytes;

    LimitsHandler(long maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            bodyBytes = 0;
            final ProxyError error = check((HttpRequest) msg);
            if (error != null) {
                refuse(ctx, error);
                ReferenceCountUtil.release(msg); // answered here
                return;
            }
        }
        // Content after a refusal never arrives: ExchangeHandler drops it once the gateway has answered. A
        // whole request (head and body decoded together) has its body counted here too.
        if (msg instanceof HttpContent) {
            final HttpContent content = (HttpContent) msg;
            bodyBytes += content.content().readableBytes();
            // A malformed chunk arrives as (last) content with a failed result: passing it on would end the
            // request at the backend as if it were complete, with a truncated body.
            final ProxyError error = content.decoderResult().isFailure() ? ProxyError.BAD_REQUEST
                    : bodyBytes > maxBodyBytes ? ProxyError.BODY_TOO_LARGE : null;
            if (error != null) {
                ReferenceCountUtil.release(msg); // refused: never forwarded
                abortMidBody(ctx, error);
                return;
            }
        }
        ctx.fireChannelRead(msg); // ownership passes on
    }

    /** Refuses a request whose head has already gone on: the relay drops its backend connection first. */
    private void abortMidBody(ChannelHandlerContext ctx, ProxyError error) {
        ctx.fireUserEventTriggered(RequestAbortedEvent.ABORTED);
        final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
        if (exchange != null && exchange.responseStarted()) {
            ctx.close(); // too late for an answer of our own: end the exchange visibly
        } else {
            refuse(ctx, error);
        }
    }

    private void refuse(ChannelHandlerContext ctx, ProxyError error) {
        final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
        if (exchange != null) {
            exchange.failed(error);
            exchange.closeAfterResponse = true;
        }
        ctx.writeAndFlush(GatewayResponses.error(ctx.alloc(), error, true));
    }

    /** The error the request earns, or {@code null} when it may go on. */
    ProxyError check(HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            final Throwable cause = request.decoderResult().cause();
            if (cause instanceof TooLongHttpLineException) {
                return ProxyError.URI_TOO_LONG;
            }
            if (cause instanceof TooLongHttpHeaderException) {
                return ProxyError.HEADERS_TOO_LARGE;
            }
            return ProxyError.BAD_REQUEST;
        }
        final HttpVersion version = request.protocolVersion();
        if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
            return ProxyError.BAD_REQUEST; // HTTP/2 prior knowledge and anything else unknown
        }
        final HttpMethod method = request.method();
        if (method == HttpMethod.CONNECT || method == HttpMethod.TRACE || "PRI".equals(method.name())) {
            return ProxyError.BAD_REQUEST;
        }
        final HttpHeaders headers = request.headers();
        if (!normaliseTarget(request)) {
            return ProxyError.BAD_REQUEST;
        }
        final List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (version == HttpVersion.HTTP_1_1 && hosts.isEmpty())
                || (hosts.size() == 1 && !isValidHost(hosts.get(0)))) {
            return ProxyError.BAD_REQUEST;
        }
        final List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
        final List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!codings.isEmpty()) {
            if (!lengths.isEmpty() || codings.size() != 1 || version == HttpVersion.HTTP_1_0
                    || !"chunked".equalsIgnoreCase(codings.get(0).trim())) {
                return ProxyError.BAD_REQUEST;
            }
        } else if (!lengths.isEmpty()) {
            if (lengths.size() != 1) {
                return ProxyError.BAD_REQUEST;
            }
            final long length = parseLength(lengths.get(0));
            if (length < 0) {
                return ProxyError.BAD_REQUEST;
            }
            if (length > maxBodyBytes) {
                return ProxyError.BODY_TOO_LARGE;
            }
        }
        return null;
    }

    /**
     * Accepts origin form ({@code /path}); turns absolute form into origin form with the authority as
     * {@code Host} (RFC 9112 §3.2.2); refuses asterisk and authority forms.
     */
    private static boolean normaliseTarget(HttpRequest request) {
        final String uri = request.uri();
        if (uri.startsWith("/")) {
            return !uri.startsWith("//"); // a scheme-relative target is not origin form
        }
        final int schemeEnd = uri.indexOf("://");
        if (schemeEnd < 0) {
            return false;
        }
        final String scheme = uri.substring(0, schemeEnd);
        if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
            return false;
        }
        final int authorityStart = schemeEnd + 3;
        int pathStart = authorityStart;
        while (pathStart < uri.length() && "/?#".indexOf(uri.charAt(pathStart)) < 0) {
            pathStart++;
        }
        final String authority = uri.substring(authorityStart, pathStart);
        if (authority.isEmpty() || authority.indexOf('@') >= 0 || !isValidHost(authority)) {
            return false;
        }
        String path = uri.substring(pathStart);
        if (path.isEmpty() || path.charAt(0) != '/') {
            path = "/" + path;
        }
        if (path.startsWith("//")) {
            return false; // as in origin form: a backend could read "//host/..." as another authority
        }
        request.setUri(path);
        request.headers().set(HttpHeaderNames.HOST, authority);
        return true;
    }

    /** A Host value: reg-name or IP literal, optional port; no spaces, commas or user info. */
    private static boolean isValidHost(String host) {
        if (host.isEmpty() || host.length() > 255) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            final char c = host.charAt(i);
            final boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Plain decimal digits, no sign, no spaces, no leading zeros; {@code -1} otherwise. */
    static long parseLength(String text) {
        final int n = text.length();
        if (n == 0 || n > 18 || (n > 1 && text.charAt(0) == '0')) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < n; i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
