package dev.privateupstream.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The sender against the backend over loopback, sending from 127.0.0.10. */
class FunctionsBackendTest {

    private static final String PRIMARY = "primary-key";
    private static final String SECONDARY = "secondary-key";

    private static InetAddress source;
    private static FunctionsBackend open;
    private static FunctionsBackend signed;
    private final UpstreamCallSender sender = new UpstreamCallSender();

    @BeforeAll
    static void start() throws Exception {
        source = InetAddress.getByName("127.0.0.10");
        open = FunctionsBackend.start();
        signed = FunctionsBackend.start(List.of(PRIMARY, SECONDARY));
    }

    @AfterAll
    static void stop() {
        open.close();
        signed.close();
    }

    @BeforeEach
    void clear() {
        open.clear();
        signed.clear();
    }

    private UpstreamCallResult send(FunctionsBackend backend, UpstreamCall call) throws Exception {
        return sender.send(source, backend.uri(), call);
    }

    @Test
    void connected() throws Exception {
        final UpstreamCallResult result = send(open, UpstreamCall.connected("chat", "c1"));
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.reasonPhrase()).isEqualTo("OK");
        assertThat(result.body()).isEmpty();
        assertThat(result.header("content-length")).isEqualTo("0");
        final ReceivedRequest request = open.received().get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.uri()).isEqualTo(UpstreamCall.FUNCTIONS_PATH);
        assertThat(request.peer().getAddress()).isEqualTo(source);
        assertThat(request.header("Host")).isEqualTo("127.0.0.1:" + open.port());
        assertThat(request.status()).isEqualTo(200);
    }

    @Test
    void disconnected() throws Exception {
        assertThat(send(open, UpstreamCall.disconnected("chat", "c1")).status()).isEqualTo(200);
        final UpstreamCallResult result = send(open, UpstreamCall.disconnected("chat", "c1", "boom"));
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.body()).isEmpty();
    }

    @Test
    void jsonInvocationWithId() throws Exception {
        final UpstreamCallResult result = send(open,
            UpstreamCall.invocation(HubProtocol.JSON, "chat", "c1", "broadcast", "42", "alice", "hello"));
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.header("Content-Type")).isEqualTo("application/json");
        final byte[] body = result.body();
        assertThat(body[body.length - 1]).isEqualTo((byte) 0x1E);
        final JsonNode completion = new ObjectMapper().readTree(Arrays.copyOf(body, body.length - 1));
        assertThat(completion.get("type").intValue()).isEqualTo(3);
        assertThat(completion.get("invocationId").textValue()).isEqualTo("42");
        assertThat(completion.get("result").textValue()).isEqualTo("broadcast:2");
        assertThat(completion.has("error")).isFalse();
    }

    @Test
    void messagePackInvocationWithId() throws Exception {
        final UpstreamCallResult result = send(open,
            UpstreamCall.invocation(HubProtocol.MESSAGEPACK, "chat", "c1", "echo", "inv-9", "a", 2, 3.5));
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.header("Content-Type")).isEqualTo("application/x-msgpack");
        try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(result.body())) {
            // BinaryMessageFormatter: the VarInt length of the message, then the message.
            int length = 0;
            int shift = 0;
            byte b;
            do {
                b = unpacker.unpackByte();
                length |= (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            assertThat(length).isEqualTo(result.body().length - shift / 7);
            assertThat(unpacker.unpackArrayHeader()).isEqualTo(5);
            assertThat(unpacker.unpackInt()).isEqualTo(3);
            assertThat(unpacker.unpackMapHeader()).isZero();
            assertThat(unpacker.unpackString()).isEqualTo("inv-9");
            assertThat(unpacker.unpackInt()).isEqualTo(3);
            assertThat(unpacker.unpackString()).isEqualTo("echo:3");
            assertThat(unpacker.hasNext()).isFalse();
        }
    }

    @Test
    void invocationWithoutIdGetsAnEmptyOk() throws Exception {
        for (HubProtocol protocol : HubProtocol.values()) {
            final UpstreamCallResult result = send(open, UpstreamCall.invocation(protocol, "chat", "c1", "send", null, "x"));
            assertThat(result.status()).as(protocol.name()).isEqualTo(200);
            assertThat(result.body()).isEmpty();
        }
    }

    @Test
    void recordsTheBodyBytesAsSent() throws Exception {
        final UpstreamCall json = UpstreamCall.invocation(HubProtocol.JSON, "chat", "c1", "broadcast", "1", "ü-東京");
        final UpstreamCall msgpack = UpstreamCall.invocation(HubProtocol.MESSAGEPACK, "chat", "c1", "broadcast", "2", new byte[] { 0, -1 });
        send(open, json);
        send(open, msgpack);
        assertThat(open.awaitCount(2, Duration.ofSeconds(5))).isTrue();
        final List<ReceivedRequest> received = open.received();
        assertThat(received.get(0).body()).isEqualTo(json.body());
        assertThat(received.get(0).header("Content-Type")).isEqualTo("application/json");
        assertThat(received.get(1).body()).isEqualTo(msgpack.body());
        assertThat(received.get(1).header("Content-Length")).isEqualTo(Integer.toString(msgpack.body().length));
    }

    @Test
    void recordsHeadersInOrder() throws Exception {
        final UpstreamCall call = UpstreamCall.connected("chat", "c1").toBuilder().userId("alice").header("X-Extra", "1").build();
        send(open, call);
        final ReceivedRequest request = open.received().get(0);
        assertThat(request.headers()).containsExactlyElementsOf(call.headers("127.0.0.1:" + open.port()));
    }

    @Test
    void signatureWithOneKey() throws Exception {
        final UpstreamCall call = UpstreamCall.connected("chat", "conn-1").toBuilder().accessKeys(SECONDARY).build();
        assertThat(send(signed, call).status()).isEqualTo(200);
    }

    @Test
    void signatureWithTwoKeys() throws Exception {
        final UpstreamCall call = UpstreamCall.connected("chat", "conn-2").toBuilder().accessKeys(PRIMARY, SECONDARY).build();
        assertThat(send(signed, call).status()).isEqualTo(200);
        assertThat(signed.received().get(0).header("X-ASRS-Signature")).contains(",");
        // The service may put a space after the comma; the backend trims entries.
        final UpstreamCall spaced = call.toBuilder().clearHeaders()
            .header("X-ASRS-Signature", call.signature().replace(",", ", ")).build();
        assertThat(send(signed, spaced).status()).isEqualTo(200);
    }

    @Test
    void nonAsciiConnectionIdIsSignedAsUtf8OnTheWire() throws Exception {
        final UpstreamCall call = UpstreamCall.connected("chat", "conn-ü-東京").toBuilder().accessKeys(PRIMARY).build();
        assertThat(send(signed, call).status()).isEqualTo(200);
        final String wire = signed.received().get(0).header("X-ASRS-Connection-Id");
        assertThat(wire.getBytes(StandardCharsets.ISO_8859_1)).isEqualTo("conn-ü-東京".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void signatureRefused() throws Exception {
        final UpstreamCall wrongKey = UpstreamCall.connected("chat", "conn-3").toBuilder().accessKeys("wrong-key").build();
        assertThat(send(signed, wrongKey).status()).isEqualTo(401);
        assertThat(send(signed, UpstreamCall.connected("chat", "conn-3")).status()).isEqualTo(401);
        final UpstreamCall noConnectionId = wrongKey.toBuilder().accessKeys(PRIMARY).connectionId(null)
            .header("X-ASRS-Signature", wrongKey.toBuilder().accessKeys(PRIMARY).build().signature()).build();
        assertThat(send(signed, noConnectionId).status()).isEqualTo(401);
        // Without keys the backend checks nothing.
        assertThat(send(open, wrongKey).status()).isEqualTo(200);
    }

    @Test
    void unsupportedMediaType() throws Exception {
        final UpstreamCall connected = UpstreamCall.connected("chat", "c1");
        assertThat(send(open, connected.toBuilder().contentType("text/plain").build()).status()).isEqualTo(415);
        assertThat(send(open, connected.toBuilder().contentType(null).build()).status()).isEqualTo(415);
        assertThat(send(open, connected.toBuilder().contentType("application/json; charset=utf-8").build()).status()).isEqualTo(200);
        // The media type is checked before the headers and the signature.
        assertThat(send(signed, connected.toBuilder().hub(null).contentType("text/plain").build()).status()).isEqualTo(415);
    }

    @Test
    void missingSignalRHeaders() throws Exception {
        final UpstreamCall connected = UpstreamCall.connected("chat", "c1");
        assertThat(send(open, connected.toBuilder().hub(null).build()).status()).isEqualTo(400);
        assertThat(send(open, connected.toBuilder().category(null).build()).status()).isEqualTo(400);
        assertThat(send(open, connected.toBuilder().event(null).build()).status()).isEqualTo(400);
        // Missing headers answer before the signature is checked.
        assertThat(send(signed, connected.toBuilder().event(null).build()).status()).isEqualTo(400);
    }

    @Test
    void notPost() throws Exception {
        final UpstreamCallResult result = send(open, UpstreamCall.connected("chat", "c1").toBuilder().method("GET").body(new byte[0]).build());
        assertThat(result.status()).isEqualTo(405);
    }

    @Test
    void noFunctionForTheCall() throws Exception {
        final UpstreamCall connected = UpstreamCall.connected("chat", "c1");
        assertThat(send(open, connected.toBuilder().event("reconnected").build()).status()).isEqualTo(404);
        assertThat(send(open, connected.toBuilder().category("other").build()).status()).isEqualTo(404);
    }

    @Test
    void malformedInvocationIsAServerError() throws Exception {
        final UpstreamCall call = UpstreamCall.invocation(HubProtocol.JSON, "chat", "c1", "broadcast", "1");
        final UpstreamCallResult notJson = send(open, call.toBuilder().body("{not json").build());
        assertThat(notJson.status()).isEqualTo(500);
        assertThat(notJson.reasonPhrase()).startsWith("body: not JSON");
        final UpstreamCallResult mismatch = send(open, call.toBuilder().event("other").build());
        assertThat(mismatch.status()).isEqualTo(500);
        assertThat(mismatch.reasonPhrase()).contains("does not match");
        final UpstreamCall msgpack = UpstreamCall.invocation(HubProtocol.MESSAGEPACK, "chat", "c1", "broadcast", "1");
        assertThat(send(open, msgpack.toBuilder().body(new byte[] { (byte) 0xC1 }).build()).status()).isEqualTo(500);
    }

    @Test
    void jsonFieldNamesInAnyCase() throws Exception {
        final UpstreamCall call = UpstreamCall.invocation(HubProtocol.JSON, "chat", "c1", "broadcast", "1").toBuilder()
            .body("{\"Type\":1,\"InvocationId\":\"5\",\"Target\":\"broadcast\",\"Arguments\":[1]}").build();
        final UpstreamCallResult result = send(open, call);
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.bodyText()).isEqualTo("{\"type\":3,\"invocationId\":\"5\",\"result\":\"broadcast:1\"}\u001e");
    }

    @Test
    void keepAliveCarriesThreeCallsOnOneConnection() throws Exception {
        try (UpstreamCallSender.Connection connection = sender.open(source, open.uri())) {
            assertThat(connection.localAddress().getAddress()).isEqualTo(source);
            assertThat(connection.send(UpstreamCall.connected("chat", "c1")).status()).isEqualTo(200);
            assertThat(connection.send(UpstreamCall.invocation(HubProtocol.JSON, "chat", "c1", "send", "1", "x")).status()).isEqualTo(200);
            assertThat(connection.send(UpstreamCall.disconnected("chat", "c1")).status()).isEqualTo(200);
            assertThat(connection.isOpen()).isTrue();
        }
        final List<ReceivedRequest> received = open.received();
        assertThat(received).hasSize(3);
        assertThat(received).extracting(ReceivedRequest::peer).containsOnly(received.get(0).peer());
    }

    @Test
    void connectionCloseIsHonoured() throws Exception {
        try (UpstreamCallSender.Connection connection = sender.open(source, open.uri())) {
            final UpstreamCallResult result = connection.send(UpstreamCall.connected("chat", "c1").toBuilder().header("Connection", "close").build());
            assertThat(result.status()).isEqualTo(200);
            assertThat(connection.isOpen()).isFalse();
        }
    }

    @Test
    void chunkedRequestBodyIsRecordedUnframed() throws Exception {
        try (UpstreamCallSender.Connection connection = sender.open(source, open.uri())) {
            final String request = "POST /api HTTP/1.1\r\nHost: x\r\nX-ASRS-Connection-Id: c1\r\nX-ASRS-Hub: chat\r\n"
                                   + "X-ASRS-Category: connections\r\nX-ASRS-Event: connected\r\nContent-Type: application/json\r\n"
                                   + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"typ\r\n6\r\ne\":10}\r\n0\r\n\r\n";
            final UpstreamCallResult result = connection.sendRaw(request.getBytes(StandardCharsets.US_ASCII));
            assertThat(result.status()).isEqualTo(200);
        }
        final ReceivedRequest recorded = open.received().get(0);
        assertThat(recorded.bodyText()).isEqualTo("{\"type\":10}");
        assertThat(recorded.header("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(recorded.header("Content-Length")).isNull();
    }

    @Test
    void forwardedForAbsentWhenTheClientSentNone() throws Exception {
        send(open, UpstreamCall.connected("chat", "c1"));
        assertThat(open.received().get(0).forwardedFor()).isNull();
        send(open, UpstreamCall.connected("chat", "c1").toBuilder().header("X-Forwarded-For", "10.1.0.4").build());
        assertThat(open.received().get(1).forwardedFor()).isEqualTo("10.1.0.4");
    }

    @Test
    void awaitCountTimesOut() throws Exception {
        assertThat(open.awaitCount(1, Duration.ofMillis(50))).isFalse();
        send(open, UpstreamCall.connected("chat", "c1"));
        assertThat(open.awaitCount(1, Duration.ofMillis(50))).isTrue();
        open.clear();
        assertThat(open.received()).isEmpty();
    }

    @Test
    void malformedRequestGets400AndClose() throws Exception {
        try (UpstreamCallSender.Connection connection = sender.open(source, open.uri())) {
            final UpstreamCallResult result = connection.sendRaw("BAD\u0001 / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(result.status()).isEqualTo(400);
            assertThat(connection.isOpen()).isFalse();
        }
        assertThat(open.received()).isEmpty();
    }
}
