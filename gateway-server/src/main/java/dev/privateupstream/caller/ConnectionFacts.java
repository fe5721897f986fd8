package dev.privateupstream.caller;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.net.IpAddress;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;

/**
 * What the gateway knows about one client connection: the TCP peer, the caller the connection speaks for,
 * the PROXY v2 link id and whether it is encrypted. Lives under one typed attribute of the channel.
 *
 * <p>Written only on the channel's event loop (by the caller-resolution handlers), read by the handlers
 * after them on the same loop, so it needs no synchronisation.
 */
public final class ConnectionFacts {
    public static final AttributeKey<ConnectionFacts> KEY = AttributeKey.valueOf(ConnectionFacts.class, "facts");

    private final InetSocketAddress peer;
    private final IpAddress peerAddress;
    private final String peerText;
    private IpAddress caller;
    private LinkId linkId;
    private boolean secure;

    public ConnectionFacts(InetSocketAddress peer) {
        this.peer = requireNonNull(peer, "peer");
        peerAddress = IpAddress.of(peer.getAddress());
        caller = peerAddress;
        peerText = peerAddress.isV4() ? peerAddress.canonical() + ':' + peer.getPort()
                : '[' + peerAddress.canonical() + "]:" + peer.getPort();
    }

    /** The facts of a channel, or {@code null} before the initializer set them. */
    public static ConnectionFacts of(Channel channel) {
        return channel.attr(KEY).get();
    }

    /** The TCP peer. */
    public InetSocketAddress peer() {
        return peer;
    }

    public IpAddress peerAddress() {
        return peerAddress;
    }

    /** {@code address:port} of the TCP peer, as the access log prints it. */
    public String peerText() {
        return peerText;
    }

    /** The caller the connection speaks for: the TCP peer unless a trusted PROXY header named another. */
    public IpAddress caller() {
        return caller;
    }

    public void caller(IpAddress caller) {
        this.caller = requireNonNull(caller, "caller");
    }

    /** The PROXY v2 Azure private link id, or {@code null}. */
    public LinkId linkId() {
        return linkId;
    }

    public void linkId(LinkId linkId) {
        this.linkId = linkId;
    }

    /** Whether the client connection is TLS (sets {@code X-Forwarded-Proto: https}). */
    public boolean secure() {
        return secure;
    }

    public void secure(boolean secure) {
        this.secure = secure;
    }
}
