package dev.privateupstream.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.privateupstream.store.Replica;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Coverage-guided fuzzing (Jazzer) of the etcd client's reading of etcd's v3 JSON gateway (SPEC §10): whatever
 * a member, or something posing as one, answers.
 *
 * <ul>
 *   <li>A unary answer, read as {@link UnaryConnectionHandler} reads it, goes through every decoder the client
 *       gives its calls ({@link RangeResponse}, {@link TxnResponse}, the header revision of put, delete and
 *       compaction, the lease ID and TTL, the auth token) and {@link EtcdException#fromAnswer}: a decoder returns
 *       or throws {@link IllegalArgumentException}, the one exception {@link Call} turns into an unreadable
 *       answer; {@code fromAnswer} never throws. What decodes reads back equal when written again the way the
 *       gateway writes (int64 as strings, defaults left out).</li>
 *   <li>Answers written from fuzzed values the way the gateway writes them (and with the fields it may add or
 *       leave out) read back as those values.</li>
 *   <li>A watch stream, its body cut into pieces of a fuzzed size, through {@link WatchStreamHandler} on an
 *       {@link EmbeddedChannel}: nothing is thrown out of the pipeline, every buffer is released, and the watch
 *       hears the same (events, progress, created, compaction, the end of the stream) whatever the pieces, as it
 *       does from the whole body at once; once the stream ends nothing more is delivered.</li>
 *   <li>A replica registry entry ({@link ReplicaRegistry#parse}) reads as a replica, any bytes; a written one
 *       reads back equal.</li>
 * </ul>
 *
 * <p>Seeds under {@code EtcdJsonFuzzTestInputs/} are answers of a real etcd 3.4 (range, txn, lease, errors, watch
 * streams) and hand-made malformed ones. In the default build only they run; {@code JAZZER_FUZZ=1} fuzzes one
 * method (see the README, "Fuzzing").
 */
class EtcdJsonFuzzTest {
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false, true);
    private static final URI ENDPOINT = URI.create("http://127.0.0.1:2379");
    private static final EtcdClientSettings SETTINGS = new EtcdClientSettings(List.of(ENDPOINT), null, null, null,
            null, null, Duration.ofSeconds(5));
    /** Never connects: the watches here are handed their stream (see {@link #posesAsTheStream}). */
    private static final Connector CONNECTOR = new Connector(new EmbeddedChannel().eventLoop(), SETTINGS);
    /** A dropped stream is a warning in production; here it is most inputs. */
    private static final Logger WATCH_LOG = (Logger) LoggerFactory.getLogger(ResumingWatch.class);
    private static final Level WATCH_LEVEL = WATCH_LOG.getLevel();

    @BeforeAll
    static void quietWatch() {
        WATCH_LOG.setLevel(Level.ERROR);
    }

    @AfterAll
    static void restoreWatchLog() {
        WATCH_LOG.setLevel(WATCH_LEVEL);
    }

    // ---- unary answers ---------------------------------------------------------------------------------------

    @FuzzTest(maxDuration = "10m")
    void unaryAnswersDecodeOrFailAsDocumented(byte[] body) {
        final JsonNode json = readAsTheClientDoes(body);
        for (int status : new int[] {200, 400, 503}) {
            final EtcdException failure = EtcdException.fromAnswer("POST /v3/kv/range to " + ENDPOINT, status, json,
                    json == null ? new String(body, StandardCharsets.UTF_8) : null);
            if (!failure.getMessage().startsWith("POST /v3/kv/range to " + ENDPOINT + " failed: ")) {
                throw new AssertionError("message " + failure.getMessage());
            }
        }
        if (json == null) {
            return; // the client fails the call with the text; nothing is decoded
        }
        final RangeResponse range = decode(json, answer -> RangeResponse.fromJson(answer, 0));
        if (range != null) {
            final RangeResponse again = RangeResponse.fromJson(write(range, true), 0);
            if (!again.equals(range)) {
                throw new AssertionError("read " + range + ", written and read again " + again);
            }
            final JsonNode kvs = json.path("kvs");
            if (kvs.isArray() && kvs.size() != range.kvs().size()) {
                throw new AssertionError(kvs.size() + " kvs in the answer, " + range.kvs().size() + " read");
            }
            for (int i = 0; i < range.kvs().size() && kvs.isArray(); i++) {
                final JsonNode key = kvs.get(i).path("key");
                final byte[] expected = key.isTextual() ? Base64.getDecoder().decode(key.textValue()) : new byte[0];
                if (!Arrays.equals(expected, range.kvs().get(i).key())) {
                    throw new AssertionError("kvs[" + i + "].key read as " + range.kvs().get(i).keyText());
                }
            }
        }
        final TxnResponse txn = decode(json, TxnResponse::fromJson);
        if (txn != null) {
            final TxnResponse again = TxnResponse.fromJson(write(txn));
            if (!again.equals(txn)) {
                throw new AssertionError("read " + txn + ", written and read again " + again);
            }
        }
        decode(json, GatewayJson::headerRevision);
        decode(json, answer -> GatewayJson.int64(answer.path("result"), "TTL"));
        decode(json, answer -> GatewayJson.int64(answer, "ID"));
        final String token = decode(json, Credentials::token);
        if (token != null && token.isEmpty()) {
            throw new AssertionError("an empty token");
        }
    }

    /** As {@link UnaryConnectionHandler}: a JSON object, or {@code null} when the body is not one. */
    private static JsonNode readAsTheClientDoes(byte[] body) {
        final ByteBuf content = ALLOC.heapBuffer(body.length).writeBytes(body);
        try (InputStream in = new ByteBufInputStream(content.duplicate())) {
            final JsonNode json = GatewayJson.MAPPER.readTree(in);
            return json == null || json.isMissingNode() || !json.isObject() ? null : json;
        } catch (IOException e) {
            return null;
        } finally {
            content.release();
        }
    }

    /** The decoder's value, or {@code null} when it refused the answer the documented way. */
    private static <T> T decode(JsonNode json, java.util.function.Function<JsonNode, T> decoder) {
        try {
            return decoder.apply(json);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isEmpty()) {
                throw new AssertionError("refused without a message: " + json, e);
            }
            return null;
        }
    }

    // ---- written answers -------------------------------------------------------------------------------------

    @FuzzTest(maxDuration = "10m")
    void writtenAnswersReadBackEqual(FuzzedDataProvider data) {
        final boolean numbers = data.consumeBoolean();
        final long revision = data.consumeLong(0, Long.MAX_VALUE);
        final List<KeyValue> kvs = new ArrayList<>();
        for (int n = data.consumeInt(0, 3); n > 0; n--) {
            kvs.add(keyValue(data));
        }
        final RangeResponse range = new RangeResponse(revision, kvs, data.consumeLong(0, Long.MAX_VALUE),
                data.consumeBoolean());
        final RangeResponse readRange = RangeResponse.fromJson(write(range, !numbers), 0);
        if (!readRange.equals(range)) {
            throw new AssertionError("wrote " + range + ", read " + readRange);
        }
        final TxnResponse txn = new TxnResponse(data.consumeBoolean(), revision,
                data.consumeBoolean() ? List.of(range) : List.of());
        final TxnResponse readTxn = TxnResponse.fromJson(write(txn));
        if (!readTxn.equals(txn)) {
            throw new AssertionError("wrote " + txn + ", read " + readTxn);
        }
        final KeyValue kv = keyValue(data);
        final boolean delete = data.consumeBoolean();
        final WatchEvent event = new WatchEvent(delete ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT, kv);
        final WatchEvent readEvent = WatchEvent.fromJson(write(event));
        if (!readEvent.equals(event)) {
            throw new AssertionError("wrote " + event + ", read " + readEvent);
        }
        final Replica replica = new Replica(data.consumeString(30), data.consumeString(30), data.consumeInt(),
                data.consumeInt(), data.consumeString(10), data.consumeString(30), data.consumeLong());
        final Replica readReplica = ReplicaRegistry.parse(GatewayJson.write(replica.toJson()));
        if (!readReplica.equals(replica)) {
            throw new AssertionError("wrote " + replica + ", read " + readReplica);
        }
    }

    private static KeyValue keyValue(FuzzedDataProvider data) {
        return new KeyValue(data.consumeBytes(40), data.consumeBytes(200), data.consumeLong(0, Long.MAX_VALUE),
                data.consumeLong(0, Long.MAX_VALUE), data.consumeLong(0, Long.MAX_VALUE), data.consumeLong());
    }

    /** A {@code RangeResponse} as the gateway writes it, with the header fields it adds; int64 as strings or not. */
    static ObjectNode write(RangeResponse range, boolean strings) {
        final ObjectNode answer = GatewayJson.object();
        final ObjectNode header = answer.putObject("header");
        header.put("cluster_id", "15875391935852295136").put("member_id", "7383792418829112008");
        int64(header, "revision", range.revision(), strings);
        header.put("raft_term", "2");
        if (!range.kvs().isEmpty()) {
            final ArrayNode kvs = answer.putArray("kvs");
            for (KeyValue kv : range.kvs()) {
                kvs.add(write(kv, strings));
            }
        }
        if (range.more()) {
            answer.put("more", true);
        }
        int64(answer, "count", range.count(), strings);
        return answer;
    }

    static ObjectNode write(TxnResponse txn) {
        final ObjectNode answer = GatewayJson.object();
        GatewayJson.putInt64(answer.putObject("header"), "revision", txn.revision());
        if (txn.succeeded()) {
            answer.put("succeeded", true);
        }
        final ArrayNode responses = answer.putArray("responses");
        responses.addObject().putObject("response_put").putObject("header");
        for (RangeResponse range : txn.ranges()) {
            responses.addObject().set("response_range", write(range, true));
        }
        return answer;
    }

    static ObjectNode write(WatchEvent event) {
        final ObjectNode json = GatewayJson.object();
        if (event.type() == WatchEvent.Type.DELETE) {
            json.put("type", "DELETE");
        }
        json.set("kv", write(event.kv(), true));
        return json;
    }

    static ObjectNode write(KeyValue kv, boolean strings) {
        final ObjectNode json = GatewayJson.object();
        if (kv.key().length > 0) {
            GatewayJson.putBytes(json, "key", kv.key());
        }
        int64(json, "create_revision", kv.createRevision(), strings);
        int64(json, "mod_revision", kv.modRevision(), strings);
        int64(json, "version", kv.version(), strings);
        if (kv.value().length > 0) {
            GatewayJson.putBytes(json, "value", kv.value());
        }
        int64(json, "lease", kv.lease(), strings);
        return json;
    }

    private static void int64(ObjectNode node, String field, long value, boolean strings) {
        if (strings) {
            GatewayJson.putInt64(node, field, value);
        } else if (value != 0) {
            node.put(field, value);
        }
    }

    // ---- watch streams ---------------------------------------------------------------------------------------

    /** Everything the watch passes on, in order. */
    private static final class Recorder implements EtcdWatchListener {
        final List<String> calls = new ArrayList<>();

        @Override
        public void onEvents(long headerRevision, List<WatchEvent> events) {
            final StringBuilder call = new StringBuilder("events@").append(headerRevision);
            for (WatchEvent e : events) {
                call.append(' ').append(e.type()).append(' ').append(HexFormat.of().formatHex(e.kv().key()))
                        .append('=').append(HexFormat.of().formatHex(e.kv().value())).append('@')
                        .append(e.kv().modRevision());
            }
            calls.add(call.toString());
        }

        @Override
        public void onProgress(long headerRevision) {
            calls.add("progress@" + headerRevision);
        }

        @Override
        public void onLive(boolean live) {
            calls.add("live " + live);
        }

        @Override
        public void onCompacted(long compactRevision) {
            calls.add("compacted@" + compactRevision);
        }
    }

    /**
     * Input: one byte for the size of the pieces, one for the status (200 mostly, else an error the handler reads
     * whole), then the body.
     */
    @FuzzTest(maxDuration = "10m")
    void watchStreamHearsTheSameInAnyPieces(byte[] input) throws ReflectiveOperationException {
        if (input.length < 2) {
            return;
        }
        final int piece = 1 + (input[0] & 0xff);
        final int status = (input[1] & 0xff) < 240 ? 200 : new int[] {400, 401, 404, 500, 503}[(input[1] & 0xff) % 5];
        final byte[] body = Arrays.copyOfRange(input, 2, input.length);
        final String whole = stream(body, body.length + 1, status);
        final String inPieces = stream(body, piece, status);
        if (!whole.equals(inPieces)) {
            throw new AssertionError("in one piece: " + whole + "\nin pieces of " + piece + ": " + inPieces
                    + "\nbody: " + new String(body, StandardCharsets.UTF_8));
        }
    }

    /** The harness hears what a stream says, so the property above is not vacuous. */
    @Test
    void harnessHearsTheStream() throws ReflectiveOperationException {
        final String created = "{\"result\":{\"header\":{\"revision\":\"6\"},\"created\":true}}\n";
        final String put = "{\"result\":{\"header\":{\"revision\":\"7\"},\"events\":[{\"kv\":{\"key\":\"L3B1L2E=\","
                + "\"mod_revision\":\"7\",\"value\":\"e30=\"}}]}}\n";
        assertThat(stream((created + put).getBytes(StandardCharsets.UTF_8), 5, 200))
                .isEqualTo("[live true, events@7 PUT 2f70752f61=7b7d@7] ended next 8");
        assertThat(stream((created + "not json\n" + put).getBytes(StandardCharsets.UTF_8), 5, 200))
                .isEqualTo("[live true] ended next 1");
    }

    /** What the watch heard from {@code body} fed in pieces, and whether the stream ended, as text. */
    private static String stream(byte[] body, int piece, int status) throws ReflectiveOperationException {
        final long allocatedBefore = allocated();
        final Recorder recorder = new Recorder();
        final EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(ALLOC);
        final ResumingWatch watch = new ResumingWatch(channel.eventLoop(), CONNECTOR, SETTINGS,
                "/pu/endpoints/".getBytes(StandardCharsets.UTF_8), null, 1, recorder, 0, w -> { });
        posesAsTheStream(watch, channel);
        final WatchStreamHandler handler = new WatchStreamHandler(watch, ENDPOINT, null);
        channel.pipeline().addLast(handler);
        handler.start();
        releaseOutbound(channel);
        final List<String> heard = recorder.calls;
        try {
            channel.writeInbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status)));
            for (int off = 0; off < body.length && channel.isOpen(); off += piece) {
                final int n = Math.min(piece, body.length - off);
                channel.writeInbound(new DefaultHttpContent(ALLOC.heapBuffer(n).writeBytes(body, off, n)));
            }
            if (channel.isOpen()) {
                channel.writeInbound(new DefaultLastHttpContent());
            }
        } catch (RuntimeException e) {
            throw new AssertionError("an exception left the pipeline: " + e, e);
        }
        final boolean ended = !channel.isOpen();
        final int calls = heard.size();
        channel.finishAndReleaseAll();
        if (heard.size() != calls) {
            throw new AssertionError("heard more after the stream ended: " + heard);
        }
        final long leaked = allocated() - allocatedBefore;
        if (leaked != 0) {
            throw new AssertionError(leaked + " bytes never released");
        }
        return heard + (ended ? " ended" : " open")
                + " next " + watch.nextRevision();
    }

    /**
     * A watch listens only to the stream it connected itself, and connecting takes a socket: the test makes the
     * embedded channel that stream.
     */
    private static void posesAsTheStream(ResumingWatch watch, Channel channel) throws ReflectiveOperationException {
        final Field field = ResumingWatch.class.getDeclaredField("channel");
        field.setAccessible(true);
        field.set(watch, channel);
    }

    private static void releaseOutbound(EmbeddedChannel channel) {
        Object out;
        while ((out = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(out); // the create request: nobody sends it
        }
    }

    private static long allocated() {
        return ALLOC.metric().usedHeapMemory() + ALLOC.metric().usedDirectMemory();
    }

    // ---- replica registry ------------------------------------------------------------------------------------

    @FuzzTest(maxDuration = "10m")
    void replicaEntriesReadAsReplicas(byte[] value) {
        final Replica replica = ReplicaRegistry.parse(value);
        if (replica == null || replica.id() == null || replica.host() == null) {
            throw new AssertionError("read " + replica);
        }
        final Replica again = ReplicaRegistry.parse(GatewayJson.write(replica.toJson()));
        if (!again.equals(replica)) {
            throw new AssertionError("read " + replica + ", written and read again " + again);
        }
    }
}
