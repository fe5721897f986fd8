package dev.privateupstream.upstream;

import dev.privateupstream.tls.TrustRoots;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of a backend connection: hands what the backend sends to the relay that borrowed the
 * connection. A pooled connection has no relay; anything it receives is a protocol error (a backend may
 * not answer what was not asked), so the connection is closed. For an {@code https} upstream it also
 * remembers which trust roots verified the connection.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
    /** The trust roots of an {@code https} upstream; {@code null} for plain HTTP. */
    private final TrustRoots trust;
    /** The context of {@link #trust} this connection's handshake was verified with. */
    private final SslContext verifiedWith;
    private UpstreamRelayHandler relay;
    /** The upstream whose call last used this connection, which its pool counts its close under. */
    private String upstream;
    private long idleSinceNanos;

    BackendHandler(TrustRoots trust, SslContext verifiedWith) {
        this.trust = trust;
        this.verifiedWith = verifiedWith;
    }

    static BackendHandler of(Channel channel) {
        return channel.pipeline().get(BackendHandler.class);
    }

    void borrowed() {
        relay = null;
    }

    /** Hands what the backend sends to {@code relay}, which serves a call to {@code upstream}. */
    void bind(UpstreamRelayHandler relay, String upstream) {
        this.relay = relay;
        this.upstream = upstream;
    }

    void unbind() {
        relay = null;
    }

    /** The upstream whose call last used this connection; {@code null} if none has. */
    String upstream() {
        return upstream;
    }

    void idle() {
        relay = null;
        idleSinceNanos = System.nanoTime();
    }

    /**
     * Whether the upstream's trust roots were reloaded since this connection was verified: it is then not
     * lent again. A reload may remove the CA the backend's certificate chains to (a compromised or retired
     * CA), and a connection authenticated only under roots no longer trusted must not carry new requests;
     * the price is one handshake per pooled connection per reload. A volatile read, no lock.
     */
    boolean trustChanged() {
        return trust != null && trust.current() != verifiedWith;
    }

    /** How long the connection has sat in its pool, as of {@code nowNanos}. */
    long idleNanos(long nowNanos) {
        return nowNanos - idleSinceNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        final UpstreamRelayHandler r = relay;
        if (r == null) {
            ReferenceCountUtil.release(msg); // unsolicited: nobody asked
            ctx.close();
            return;
        }
        r.backendRead(ctx.channel(), msg); // ownership passes to the relay
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        final UpstreamRelayHandler r = relay;
        if (r != null) {
            r.backendReadComplete(ctx.channel());
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        final UpstreamRelayHandler r = relay;
        if (r != null) {
            r.backendWritabilityChanged(ctx.channel());
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        final UpstreamRelayHandler r = relay;
        relay = null;
        if (r != null) {
            r.backendClosed(ctx.channel());
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset or a malformed response: the connection is finished, and the relay learns it now. Waiting
        // for the close is not enough: on close the decoder ends a body delimited by the close as if it were
        // complete, and a reset must never pass for a clean end.
        final UpstreamRelayHandler r = relay;
        relay = null;
        if (r != null) {
            r.backendClosed(ctx.channel());
        }
        ctx.close();
    }
}
