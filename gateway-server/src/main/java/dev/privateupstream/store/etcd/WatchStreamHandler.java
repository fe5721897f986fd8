package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One watch stream on its own connection: authenticates first when auth is on (tokens are per member, and
 * this connection may lead to another member than the unary calls'), POSTs the create request to
 * {@code /v3/watch}, then reads the chunked answer line by line, one JSON object per line, and reports each
 * to its {@link ResumingWatch}. Anything that ends the stream closes the connection; the watch reconnects.
 */
final class WatchStreamHandler extends SimpleChannelInboundHandler<HttpObject> {
    /**
     * Asks the member to end the stream when it has no leader (gRPC metadata {@code hasleader}, which the
     * gateway forwards from this header): a member cut off from the others would otherwise keep a watch open
     * that never sees another event.
     */
    static final String REQUIRE_LEADER_HEADER = "Grpc-Metadata-hasleader";

    /** The longest watch answer read: bigger than the largest transaction etcd accepts, base64 included. */
    private static final int MAX_LINE_BYTES = 64 * 1024 * 1024;
    /** How much of an error body is kept for the message. */
    private static final int MAX_ERROR_BYTES = 4096;

    private enum Phase { AUTHENTICATING, WATCHING, DONE }

    private final ResumingWatch watch;
    private final URI endpoint;
    private final Credentials credentials;
    private final JsonLineBuffer lines = new JsonLineBuffer(MAX_LINE_BYTES);
    private final ByteArrayOutputStream errorBody = new ByteArrayOutputStream();
    private ChannelHandlerContext ctx;
    private Phase phase;
    private int status;
    private String token;

    WatchStreamHandler(ResumingWatch watch, URI endpoint, Credentials credentials) {
        this.watch = requireNonNull(watch, "watch");
        this.endpoint = requireNonNull(endpoint, "endpoint");
        this.credentials = credentials;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Starts the exchange, once the connection is ready. */
    void start() {
        if (credentials != null) {
            phase = Phase.AUTHENTICATING;
            ctx.writeAndFlush(post(Credentials.PATH, credentials.body(), null));
        } else {
            sendCreateRequest();
        }
    }

    private void sendCreateRequest() {
        phase = Phase.WATCHING;
        final FullHttpRequest request = post("/v3/watch", watch.createRequest(), token);
        request.headers().set(REQUIRE_LEADER_HEADER, "true");
        ctx.writeAndFlush(request);
    }

    private FullHttpRequest post(String path, byte[] body, String authorization) {
        final FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                Unpooled.wrappedBuffer(body));
        request.headers()
                .set(HttpHeaderNames.HOST, Connector.host(endpoint))
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (authorization != null) {
            request.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
        }
        return request;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        // Released by SimpleChannelInboundHandler on return: the line buffer copies what it keeps.
        if (phase == Phase.DONE || phase == null) {
            return;
        }
        if (msg instanceof HttpResponse response) {
            status = response.status().code();
            errorBody.reset();
        }
        if (!(msg instanceof HttpContent content)) {
            return;
        }
        if (phase == Phase.AUTHENTICATING || status != 200) {
            final int room = MAX_ERROR_BYTES - errorBody.size();
            final int readable = content.content().readableBytes();
            if (room > 0) {
                final byte[] bytes = new byte[Math.min(room, readable)];
                content.content().getBytes(content.content().readerIndex(), bytes);
                errorBody.writeBytes(bytes);
            }
            if (msg instanceof LastHttpContent) {
                answerComplete();
            }
            return;
        }
        final List<byte[]> complete;
        try {
            complete = lines.append(content.content());
        } catch (IllegalStateException e) {
            end(e.getMessage());
            return;
        }
        for (byte[] line : complete) {
            if (phase != Phase.WATCHING) {
                return;
            }
            line(line);
        }
        if (msg instanceof LastHttpContent && phase == Phase.WATCHING) {
            final byte[] last = lines.rest();
            if (last.length > 0) {
                line(last);
            }
            end("etcd ended the watch stream");
        }
    }

    /** A whole answer that is not the stream: the token, or an error. */
    private void answerComplete() {
        final String body = errorBody.toString(StandardCharsets.UTF_8).strip();
        JsonNode json = null;
        try {
            json = GatewayJson.MAPPER.readTree(body);
        } catch (IOException e) {
            json = null;
        }
        if (phase == Phase.AUTHENTICATING && status == 200 && json != null) {
            try {
                token = Credentials.token(json);
            } catch (IllegalArgumentException e) {
                end("authentication at " + endpoint + ": " + e.getMessage());
                return;
            }
            sendCreateRequest();
            return;
        }
        final String call = phase == Phase.AUTHENTICATING
                ? "authenticating as '" + credentials.username() + "' at " + endpoint : "POST /v3/watch to " + endpoint;
        end(EtcdException.fromAnswer(call, status, json != null && json.isObject() ? json : null, body).getMessage());
    }

    private void line(byte[] line) {
        final JsonNode answer;
        try {
            answer = GatewayJson.MAPPER.readTree(line);
        } catch (IOException e) {
            end("an unreadable watch answer from " + endpoint + ": " + e.getMessage());
            return;
        }
        if (answer.hasNonNull("error")) {
            // The gateway's way of passing on a gRPC error in a stream ("no leader", a stale token...).
            end(EtcdException.fromAnswer("watch at " + endpoint, 200, answer, null).getMessage());
            return;
        }
        final JsonNode result = answer.path("result");
        try {
            final long revision = GatewayJson.headerRevision(result);
            if (GatewayJson.bool(result, "canceled")) {
                final long compactRevision = GatewayJson.int64(result, "compact_revision");
                if (compactRevision > 0) {
                    phase = Phase.DONE;
                    watch.compacted(ctx.channel(), compactRevision);
                } else {
                    end("etcd at " + endpoint + " canceled the watch: " + result.path("cancel_reason").asText("no reason"));
                }
                return;
            }
            final boolean created = GatewayJson.bool(result, "created");
            if (created) {
                // The created answer's revision is the store's current one, not where the watch starts: it
                // must not move the cursor, or events between the two would be skipped after a reconnection.
                watch.created(ctx.channel());
            }
            final JsonNode events = result.path("events");
            if (events.size() > 0) {
                final List<WatchEvent> list = new ArrayList<>(events.size());
                for (JsonNode event : events) {
                    list.add(WatchEvent.fromJson(event));
                }
                watch.events(ctx.channel(), revision, Collections.unmodifiableList(list));
            } else if (!created) {
                watch.progress(ctx.channel(), revision);
            }
        } catch (IllegalArgumentException e) {
            end("an unreadable watch answer from " + endpoint + ": " + e.getMessage());
        }
    }

    /** Ends this stream: the watch hears why, and reconnects once the connection has closed. */
    private void end(String why) {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        watch.ending(ctx.channel(), why);
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        end(Connector.describe(cause));
    }
}
