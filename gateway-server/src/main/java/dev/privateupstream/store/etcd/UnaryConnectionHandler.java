package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The end of the client's keep-alive connection to one member: sends calls, pipelined, and pairs each answer
 * with the oldest call still waiting for one (HTTP/1.1 answers come in request order). It reports every answer
 * and its own closing to {@link UnaryCalls}, which decides what becomes of the calls.
 */
final class UnaryConnectionHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    /** How much of a body that is not JSON goes into an error message. */
    private static final int MAX_TEXT = 300;

    private final UnaryCalls owner;
    final URI endpoint;
    private final String host;
    private final ArrayDeque<Call<?>> inFlight = new ArrayDeque<>();
    private Channel channel;
    /** Why the connection is being closed, when it is this side's doing or an error; for the calls' messages. */
    private Throwable closeCause;
    private boolean closed;

    /** The auth token valid on this member; {@code null} when auth is off or none was fetched yet. */
    String token;
    /** Whether an authentication call is in flight on this connection. */
    boolean authenticating;

    UnaryConnectionHandler(UnaryCalls owner, URI endpoint) {
        this.owner = requireNonNull(owner, "owner");
        this.endpoint = requireNonNull(endpoint, "endpoint");
        this.host = Connector.host(endpoint);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    /** Writes a call (flushed by {@link #flush()}); it counts as sent once its bytes left. */
    void send(Call<?> call) {
        call.state = Call.State.SENT;
        call.written = false;
        call.token = token;
        call.sentOn = this;
        inFlight.add(call);
        channel.write(call.request(host, token)).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                call.written = true;
            } else {
                close(f.cause());
            }
        });
    }

    void flush() {
        channel.flush();
    }

    boolean closed() {
        return closed || !channel.isActive();
    }

    /** Closes the connection; the calls in flight are settled when it has closed. */
    void close(Throwable cause) {
        if (closeCause == null) {
            closeCause = cause;
        }
        channel.close();
    }

    /** Every call in flight, oldest first, now no longer tracked here. */
    List<Call<?>> drainInFlight() {
        final List<Call<?>> calls = new ArrayList<>(inFlight);
        inFlight.clear();
        return calls;
    }

    Throwable closeCause() {
        return closeCause;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
        // The response is released by SimpleChannelInboundHandler once this returns; nothing here keeps it.
        final Call<?> call = inFlight.poll();
        if (call == null) {
            close(new IllegalStateException("an answer with no request waiting for it"));
            return;
        }
        JsonNode json = null;
        String text = null;
        try (InputStream in = new ByteBufInputStream(response.content().duplicate())) {
            json = GatewayJson.MAPPER.readTree(in);
        } catch (IOException e) {
            json = null;
        }
        if (json == null || json.isMissingNode() || !json.isObject()) {
            json = null;
            final String body = response.content().toString(StandardCharsets.UTF_8).strip();
            text = body.length() > MAX_TEXT ? body.substring(0, MAX_TEXT) + "…" : body;
        }
        owner.answered(this, call, response.status().code(), json, text);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        close(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        owner.closed(this);
    }
}
