package dev.privateupstream.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

class UpstreamCallTest {

    private static String sign(String key, String connectionId) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(connectionId.getBytes(StandardCharsets.UTF_8)));
    }

    private static String text(UpstreamCall call) {
        return new String(call.body(), StandardCharsets.UTF_8);
    }

    @Test
    void connected() {
        final UpstreamCall call = UpstreamCall.connected("chat", "c1");
        assertThat(text(call)).isEqualTo("{\"type\":10}");
        assertThat(call.method()).isEqualTo("POST");
        assertThat(call.path()).isEqualTo(UpstreamCall.FUNCTIONS_PATH);
        assertThat(call.category()).isEqualTo("connections");
        assertThat(call.event()).isEqualTo("connected");
        assertThat(call.contentType()).isEqualTo("application/json");
        assertThat(call.headers("gw.example:8080")).containsExactly(
            new HeaderField("Host", "gw.example:8080"),
            new HeaderField("X-ASRS-Connection-Id", "c1"),
            new HeaderField("X-ASRS-Hub", "chat"),
            new HeaderField("X-ASRS-Category", "connections"),
            new HeaderField("X-ASRS-Event", "connected"),
            new HeaderField("Content-Type", "application/json"),
            new HeaderField("Content-Length", "11"));
    }

    @Test
    void disconnected() {
        assertThat(text(UpstreamCall.disconnected("chat", "c1"))).isEqualTo("{\"type\":11}");
        final UpstreamCall withError = UpstreamCall.disconnected("chat", "c1", "connection \"lost\"");
        assertThat(text(withError)).isEqualTo("{\"type\":11,\"error\":\"connection \\\"lost\\\"\"}");
        assertThat(withError.event()).isEqualTo("disconnected");
        assertThat(withError.contentType()).isEqualTo("application/json");
    }

    @Test
    void jsonInvocation() {
        final UpstreamCall call = UpstreamCall.invocation(HubProtocol.JSON, "chat", "c1", "broadcast", "1", "alice", 42, true, null);
        assertThat(text(call)).isEqualTo(
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"broadcast\",\"arguments\":[\"alice\",42,true,null]}");
        assertThat(call.body()).doesNotContain((byte) 0x1E);
        assertThat(call.category()).isEqualTo("messages");
        assertThat(call.event()).isEqualTo("broadcast");
        final UpstreamCall noId = UpstreamCall.invocation(HubProtocol.JSON, "chat", "c1", "send", null);
        assertThat(text(noId)).isEqualTo("{\"type\":1,\"target\":\"send\",\"arguments\":[]}");
    }

    @Test
    void messagePackInvocation() throws Exception {
        final UpstreamCall call = UpstreamCall.invocation(HubProtocol.MESSAGEPACK, "chat", "c1", "broadcast", "7",
            "alice", 42, List.of(1, 2), new byte[] { 9 });
        assertThat(call.contentType()).isEqualTo("application/x-msgpack");
        // No VarInt length prefix: the body starts with the array header of the message itself.
        assertThat(call.body()[0] & 0xFF).isEqualTo(0x95);
        try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(call.body())) {
            assertThat(unpacker.unpackArrayHeader()).isEqualTo(5);
            assertThat(unpacker.unpackInt()).isEqualTo(1);
            assertThat(unpacker.unpackMapHeader()).isZero();
            assertThat(unpacker.unpackString()).isEqualTo("7");
            assertThat(unpacker.unpackString()).isEqualTo("broadcast");
            assertThat(unpacker.unpackArrayHeader()).isEqualTo(4);
            assertThat(unpacker.unpackString()).isEqualTo("alice");
            assertThat(unpacker.unpackInt()).isEqualTo(42);
            assertThat(unpacker.unpackArrayHeader()).isEqualTo(2);
            assertThat(unpacker.unpackInt()).isEqualTo(1);
            assertThat(unpacker.unpackInt()).isEqualTo(2);
            assertThat(unpacker.unpackBinaryHeader()).isEqualTo(1);
            assertThat(unpacker.readPayload(1)).containsExactly(9);
            assertThat(unpacker.hasNext()).isFalse();
        }
        final UpstreamCall noId = UpstreamCall.invocation(HubProtocol.MESSAGEPACK, "chat", "c1", "send", null);
        try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(noId.body())) {
            assertThat(unpacker.unpackArrayHeader()).isEqualTo(5);
            assertThat(unpacker.unpackInt()).isEqualTo(1);
            unpacker.skipValue();
            assertThat(unpacker.getNextFormat()).isEqualTo(MessageFormat.NIL);
            unpacker.unpackNil();
            assertThat(unpacker.unpackString()).isEqualTo("send");
            assertThat(unpacker.unpackArrayHeader()).isZero();
        }
    }

    @Test
    void unsupportedMessagePackArgument() {
        assertThatThrownBy(() -> UpstreamCall.invocation(HubProtocol.MESSAGEPACK, "chat", "c1", "send", null, new Object()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("argument: java.lang.Object (expected:");
    }

    @Test
    void signatureWithOneAndTwoKeys() throws Exception {
        final UpstreamCall one = UpstreamCall.connected("chat", "conn-ü").toBuilder().accessKeys("k1").build();
        assertThat(one.signature()).isEqualTo(sign("k1", "conn-ü"));
        final UpstreamCall two = one.toBuilder().accessKeys("k1", "k2").build();
        assertThat(two.signature()).isEqualTo(sign("k1", "conn-ü") + "," + sign("k2", "conn-ü"));
        assertThat(HeaderField.first(two.headers("h"), "X-ASRS-Signature")).isEqualTo(two.signature());
        assertThat(UpstreamCall.connected("chat", "c1").signature()).isNull();
        assertThat(HeaderField.first(UpstreamCall.connected("chat", "c1").headers("h"), "X-ASRS-Signature")).isNull();
    }

    @Test
    void optionalHeadersOnlyWhenNotEmpty() {
        final UpstreamCall empty = UpstreamCall.connected("chat", "c1").toBuilder().userId("").userClaims("").clientQuery("").build();
        assertThat(empty.headers("h")).extracting(HeaderField::name)
            .doesNotContain("X-ASRS-User-Id", "X-ASRS-User-Claims", "X-ASRS-Client-Query");
        final UpstreamCall full = empty.toBuilder().userId("alice").userClaims("role: admin, tid: 1").clientQuery("?a=1&b=2").build();
        assertThat(full.headers("h")).containsSubsequence(
            new HeaderField("X-ASRS-Event", "connected"),
            new HeaderField("X-ASRS-User-Id", "alice"),
            new HeaderField("X-ASRS-User-Claims", "role: admin, tid: 1"),
            new HeaderField("X-ASRS-Client-Query", "?a=1&b=2"),
            new HeaderField("Content-Type", "application/json"));
    }

    @Test
    void extraHeadersComeLastAndReplaceGeneratedOnes() {
        final UpstreamCall call = UpstreamCall.connected("chat", "c1").toBuilder()
            .accessKeys("k1")
            .header("X-Forwarded-For", "203.0.113.7")
            .header("host", "spoofed.example")
            .header("X-ASRS-Signature", "sha256=garbage")
            .build();
        final List<HeaderField> headers = call.headers("gw:1");
        assertThat(headers.subList(0, headers.size() - 3)).extracting(HeaderField::name)
            .doesNotContain("Host", "host", "X-ASRS-Signature");
        assertThat(headers.subList(headers.size() - 3, headers.size())).containsExactly(
            new HeaderField("X-Forwarded-For", "203.0.113.7"),
            new HeaderField("host", "spoofed.example"),
            new HeaderField("X-ASRS-Signature", "sha256=garbage"));
        assertThat(call.signature()).isEqualTo("sha256=garbage");
    }

    @Test
    void missingHeadersAreNotSent() {
        final UpstreamCall call = UpstreamCall.connected("chat", "c1").toBuilder().hub(null).contentType(null).build();
        assertThat(call.headers("h")).extracting(HeaderField::name).doesNotContain("X-ASRS-Hub", "Content-Type");
    }

    @Test
    void hostOverride() {
        final UpstreamCall call = UpstreamCall.connected("chat", "c1").toBuilder().host("contoso-func.azurewebsites.net").build();
        assertThat(call.headers("127.0.0.1:8080").get(0)).isEqualTo(new HeaderField("Host", "contoso-func.azurewebsites.net"));
    }

    @Test
    void getWithoutBodyHasNoContentLength() {
        final UpstreamCall get = UpstreamCall.connected("chat", "c1").toBuilder().method("GET").body(new byte[0]).build();
        assertThat(HeaderField.first(get.headers("h"), "Content-Length")).isNull();
        final UpstreamCall emptyPost = UpstreamCall.builder().build();
        assertThat(HeaderField.first(emptyPost.headers("h"), "Content-Length")).isEqualTo("0");
    }

    @Test
    void encodesTheWholeRequest() {
        final UpstreamCall call = UpstreamCall.connected("chat", "c1").toBuilder().path("/api/chat/connections/connected").build();
        assertThat(new String(call.encode("gw:1"), StandardCharsets.UTF_8)).isEqualTo(
            "POST /api/chat/connections/connected HTTP/1.1\r\n"
            + "Host: gw:1\r\n"
            + "X-ASRS-Connection-Id: c1\r\n"
            + "X-ASRS-Hub: chat\r\n"
            + "X-ASRS-Category: connections\r\n"
            + "X-ASRS-Event: connected\r\n"
            + "Content-Type: application/json\r\n"
            + "Content-Length: 11\r\n"
            + "\r\n"
            + "{\"type\":10}");
    }

    @Test
    void isImmutable() {
        final byte[] body = { 1, 2, 3 };
        final UpstreamCall call = UpstreamCall.builder().body(body).build();
        body[0] = 9;
        call.body()[1] = 9;
        assertThat(call.body()).containsExactly(1, 2, 3);
        final UpstreamCall.Builder builder = call.toBuilder();
        builder.header("X-A", "1");
        assertThat(call.extraHeaders()).isEmpty();
    }

    @Test
    void rejectsHeaderInjection() {
        assertThatThrownBy(() -> UpstreamCall.connected("chat\r\nX-Evil: 1", "c1"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CR or LF");
        assertThatThrownBy(() -> UpstreamCall.builder().header("Bad Name", "v"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Bad Name");
        assertThatThrownBy(() -> UpstreamCall.builder().path("/a b"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UpstreamCall.builder().accessKeys("k", ""))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("accessKeys[1]");
    }
}
