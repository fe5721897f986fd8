package dev.privateupstream.caller;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.net.IpAddress;
import dev.privateupstream.proxy.ProxyExchange;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.function.Predicate;

/**
 * {@code listen.forwardedHeader: x-forwarded-for} (SPEC §4): when the connection's caller (the TCP peer,
 * or the PROXY source) is a trusted proxy, each request's caller is the rightmost {@code X-Forwarded-For}
 * entry that is not itself a trusted proxy. From an untrusted peer the header is ignored; either way the
 * header rewrite replaces it upstream.
 *
 * <p>Entries are read right to left, over every {@code X-Forwarded-For} line in order, because only the
 * right end was written by proxies we trust; anything further left came from whoever they trusted, down
 * to the client, who can write anything. So the walk stops at the first entry that is not a trusted
 * proxy, and also at the first entry it cannot parse: a proxy we trust wrote something we cannot read
 * ({@code unknown}, an obfuscated name), and nothing to its left can be vouched for. The caller is then
 * the last address the walk could vouch for: the trusted proxy nearest that entry, or the peer itself.
 * A header of trusted proxies only yields its leftmost entry, as nginx's recursive real-IP does.
 *
 * <p>An entry is an IPv4 or IPv6 address, optionally as {@code 10.1.0.4:port}, {@code [fd00::4]} or
 * {@code [fd00::4]:port} (Azure Application Gateway appends ports), with optional whitespace around it.
 * Anything else, an empty entry included, is malformed and never becomes the caller.
 *
 * <p>Increments no counter: the access decision after it does.
 */
@Sharable
final class ForwardedForResolver extends ChannelInboundHandlerAdapter {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");

    private final CallerPolicy callers;

    ForwardedForResolver(CallerPolicy callers) {
        this.callers = requireNonNull(callers, "callers");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            final ProxyExchange exchange = ProxyExchange.current(ctx.channel());
            final IpAddress peer = ConnectionFacts.of(ctx.channel()).caller();
            if (exchange != null && callers.trusted(peer)) {
                final List<String> values = ((HttpRequest) msg).headers().getAll(X_FORWARDED_FOR);
                if (!values.isEmpty()) {
                    exchange.caller(resolve(values, peer, callers::trusted));
                }
            }
        }
        ctx.fireChannelRead(msg); // read only; ownership passes on
    }

    /**
     * The caller named by the {@code X-Forwarded-For} lines {@code values} (in header order) of a request
     * from the trusted {@code peer}.
     */
    static IpAddress resolve(List<String> values, IpAddress peer, Predicate<IpAddress> trusted) {
        IpAddress vouched = peer;
        for (int v = values.size() - 1; v >= 0; v--) {
            final String value = values.get(v);
            int end = value.length();
            while (end >= 0) {
                final int comma = value.lastIndexOf(',', end - 1);
                final IpAddress entry = parseEntry(value, comma + 1, end);
                if (entry == null) {
                    return vouched; // cannot read it: nothing left of it can be trusted either
                }
                if (!trusted.test(entry)) {
                    return entry;
                }
                vouched = entry;
                end = comma; // -1 after the first entry of this line
            }
        }
        return vouched;
    }

    /** One entry without surrounding whitespace, or {@code null} when malformed. */
    static IpAddress parseEntry(String text, int start, int end) {
        while (start < end && isWhitespace(text.charAt(start))) {
            start++;
        }
        while (end > start && isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        if (start == end) {
            return null;
        }
        if (text.charAt(start) == '[') {
            final int close = indexOf(text, ']', start, end);
            if (close < 0 || !(close + 1 == end || isPort(text, close + 1, end))) {
                return null;
            }
            // Brackets are for IPv6 text only.
            return indexOf(text, ':', start, close) < 0 ? null : IpAddress.tryParse(text, start + 1, close);
        }
        final int colon = indexOf(text, ':', start, end);
        if (colon >= 0 && indexOf(text, ':', colon + 1, end) < 0) {
            // Exactly one colon: IPv4 with a port (IPv6 text has at least two).
            final IpAddress address = isPort(text, colon, end) ? IpAddress.tryParse(text, start, colon) : null;
            return address != null && address.isV4() ? address : null;
        }
        return IpAddress.tryParse(text, start, end);
    }

    private static int indexOf(String text, char c, int start, int end) {
        final int i = text.indexOf(c, start);
        return i < end ? i : -1;
    }

    /** Whether {@code text[start, end)} is {@code :} and a port of 1 to 5 digits up to 65535. */
    private static boolean isPort(String text, int start, int end) {
        if (text.charAt(start) != ':' || end - start < 2 || end - start > 6) {
            return false;
        }
        int port = 0;
        for (int i = start + 1; i < end; i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + c - '0';
        }
        return port <= 65535;
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }
}
