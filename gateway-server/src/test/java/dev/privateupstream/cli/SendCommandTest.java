package dev.privateupstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.simulator.FunctionsBackend;
import dev.privateupstream.simulator.ReceivedRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SendCommandTest {

    private static FunctionsBackend backend;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void start() {
        backend = FunctionsBackend.start(List.of("key-1"));
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @BeforeEach
    void clear() {
        backend.clear();
    }

    private int run(String... args) {
        final CommandLine command = new CommandLine(new SendCommand());
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        return command.execute(args);
    }

    private String url(String pathAndQuery) {
        return "http://127.0.0.1:" + backend.port() + pathAndQuery;
    }

    @Test
    void connectedFromAChosenSource() {
        final int exit = run("--url", url(""), "--source", "127.0.0.10", "--key", "key-1", "--connection-id", "c1", "--user-id", "alice");
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("200 OK\n");
        final ReceivedRequest request = backend.received().get(0);
        assertThat(request.peer().getAddress().getHostAddress()).isEqualTo("127.0.0.10");
        assertThat(request.uri()).isEqualTo("/runtime/webhooks/signalr?code=simulator");
        assertThat(request.header("X-ASRS-Connection-Id")).isEqualTo("c1");
        assertThat(request.header("X-ASRS-Hub")).isEqualTo("chat");
        assertThat(request.header("X-ASRS-User-Id")).isEqualTo("alice");
        assertThat(request.bodyText()).isEqualTo("{\"type\":10}");
    }

    @Test
    void jsonInvocationPrintsTheCompletion() {
        final int exit = run("--url", url("/api/messages?code=abc"), "--key", "key-1", "--event", "broadcast",
            "--invocation-id", "7", "--arg", "hi", "--arg", "there", "--header", "X-Forwarded-For: 203.0.113.9", "--host", "func.example");
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).containsIgnoringCase("Content-Type: application/json")
            .contains("{\"type\":3,\"invocationId\":\"7\",\"result\":\"broadcast:2\"}\\x1e");
        final ReceivedRequest request = backend.received().get(0);
        assertThat(request.uri()).isEqualTo("/api/messages?code=abc");
        assertThat(request.header("Host")).isEqualTo("func.example");
        assertThat(request.forwardedFor()).isEqualTo("203.0.113.9");
        assertThat(request.header("X-ASRS-Category")).isEqualTo("messages");
    }

    @Test
    void messagePackCompletionPrintsAsHex() {
        final int exit = run("--url", url(""), "--key", "key-1", "--event", "echo", "--protocol", "MsgPack", "--invocation-id", "1");
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).containsIgnoringCase("Content-Type: application/x-msgpack").contains("00000000  ").contains("echo:0|");
    }

    @Test
    void disconnectedWithError() {
        assertThat(run("--url", url(""), "--key", "key-1", "--event", "disconnected", "--error", "gone")).isZero();
        assertThat(backend.received().get(0).bodyText()).isEqualTo("{\"type\":11,\"error\":\"gone\"}");
    }

    @Test
    void refusedCallExitsOne() {
        assertThat(run("--url", url(""), "--key", "wrong")).isEqualTo(1);
        assertThat(out.toString()).startsWith("401 Unauthorized\n");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(run("--source", "127.0.0.1")).isEqualTo(2);
        assertThat(run("--url", "https://127.0.0.1:1/")).isEqualTo(2);
        assertThat(err.toString()).contains("--url: https://127.0.0.1:1/ (expected: http://host:port/path?query)");
        assertThat(run("--url", url(""), "--protocol", "xml", "--event", "send")).isEqualTo(2);
        assertThat(err.toString()).contains("--protocol: xml (expected: json or msgpack)");
        assertThat(run("--url", url(""), "--header", "no colon")).isEqualTo(2);
        assertThat(run("--url", url(""), "--error", "x")).isEqualTo(2);
        assertThat(run("--url", url(""), "--invocation-id", "1")).isEqualTo(2);
        assertThat(backend.received()).isEmpty();
    }

    @Test
    void connectionFailureExitsTwo() throws Exception {
        final int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        assertThat(run("--url", "http://127.0.0.1:" + port + "/x", "--source", "127.0.0.10")).isEqualTo(2);
        assertThat(err.toString()).contains("cannot connect to 127.0.0.1:" + port + " from 127.0.0.10");
    }

    /** {@code sha256=HEX}: HMAC-SHA256 of the connection id keyed with the access key, computed here independently. */
    private static String signature(String key, String connectionId) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(connectionId.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void webPubSubConnectIsARealCloudEventsCallAndPrintsTheUser() throws Exception {
        final int exit = run("--service", "webpubsub", "--url", url(""), "--source", "127.0.0.10", "--key", "key-1",
                "--event", "connect", "--hub", "lobby", "--connection-id", "wps-c1", "--user-id", "alice",
                "--origin", "wps.example");
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("200 OK\n").endsWith("\n{\"userId\":\"alice\"}\n");
        final ReceivedRequest request = backend.received().get(0);
        assertThat(request.peer().getAddress().getHostAddress()).isEqualTo("127.0.0.10");
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.uri()).isEqualTo("/runtime/webhooks/webpubsub?code=simulator");
        assertThat(request.header("ce-specversion")).isEqualTo("1.0");
        assertThat(request.header("ce-type")).isEqualTo("azure.webpubsub.sys.connect");
        assertThat(request.header("ce-eventName")).isEqualTo("connect");
        assertThat(request.header("ce-hub")).isEqualTo("lobby");
        assertThat(request.header("ce-connectionId")).isEqualTo("wps-c1");
        assertThat(request.header("ce-userId")).isEqualTo("alice");
        assertThat(request.header("ce-source")).isEqualTo("/hubs/lobby/client/wps-c1");
        assertThat(request.header("ce-id")).isNotBlank();
        assertThat(request.header("ce-signature")).isEqualTo(signature("key-1", "wps-c1"));
        assertThat(request.header("WebHook-Request-Origin")).isEqualTo("wps.example");
        assertThat(request.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
        assertThat(request.header("Authorization")).isNull();
        assertThat(request.headers()).noneMatch(h -> h.name().regionMatches(true, 0, "X-ASRS-", 0, 7));
        assertThat(request.bodyText()).startsWith("{\"claims\":{}");
    }

    @Test
    void webPubSubUserEventEchoesItsData() throws Exception {
        final int exit = run("--service", "webpubsub", "--url", url(""), "--key", "key-1", "--key", "key-2",
                "--event", "message", "--data", "hi", "--connection-id", "wps-c2");
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("200 OK\n").endsWith("\necho:hi\n");
        final ReceivedRequest request = backend.received().get(0);
        assertThat(request.header("ce-type")).isEqualTo("azure.webpubsub.user.message");
        assertThat(request.header("ce-eventName")).isEqualTo("message");
        assertThat(request.header("ce-hub")).isEqualTo("chat");
        assertThat(request.header("ce-userId")).isNull();
        assertThat(request.header("ce-signature"))
                .isEqualTo(signature("key-1", "wps-c2") + "," + signature("key-2", "wps-c2"));
        assertThat(request.header("WebHook-Request-Origin")).isEqualTo("contoso.webpubsub.azure.com");
        assertThat(request.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(request.bodyText()).isEqualTo("hi");
    }

    @Test
    void webPubSubHandshakeSendsOptionsAndPrintsTheAllowedOrigin() {
        final int exit = run("--service", "webpubsub", "--handshake", "--url", url(""), "--origin", "wps.example");
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("200 OK\n").contains("\nWebHook-Allowed-Origin: *\n");
        final ReceivedRequest request = backend.received().get(0);
        assertThat(request.method()).isEqualTo("OPTIONS");
        assertThat(request.uri()).isEqualTo("/runtime/webhooks/webpubsub?code=simulator");
        assertThat(request.header("WebHook-Request-Origin")).isEqualTo("wps.example");
        assertThat(request.header("ce-type")).isNull();
        assertThat(request.header("ce-signature")).isNull();
        assertThat(request.body()).isEmpty();
    }

    @Test
    void webPubSubWithAWrongKeyExitsOne() {
        assertThat(run("--service", "webpubsub", "--url", url(""), "--key", "wrong", "--event", "message",
                "--data", "hi")).isEqualTo(1);
        assertThat(out.toString()).startsWith("401 Unauthorized\n");
    }

    @Test
    void aTokenIsSentAsABearerAuthorization() {
        assertThat(run("--service", "webpubsub", "--url", url(""), "--key", "key-1", "--token", "T")).isZero();
        assertThat(backend.received().get(0).headers("Authorization")).containsExactly("Bearer T");
        backend.clear();
        assertThat(run("--url", url(""), "--key", "key-1", "--token", "eyJ.a.b")).isZero();
        assertThat(backend.received().get(0).headers("Authorization")).containsExactly("Bearer eyJ.a.b");
    }

    @Test
    void serviceOptionsOfTheOtherServiceAreUsageErrors() {
        assertThat(run("--service", "mqtt", "--url", url(""))).isEqualTo(2);
        assertThat(err.toString()).contains("send: --service: mqtt (expected: signalr or webpubsub)");
        assertThat(run("--url", url(""), "--data", "hi")).isEqualTo(2);
        assertThat(err.toString()).contains("send: --data and --handshake: only with --service webpubsub");
        assertThat(run("--url", url(""), "--handshake")).isEqualTo(2);
        assertThat(run("--service", "webpubsub", "--url", url(""), "--event", "message", "--arg", "x")).isEqualTo(2);
        assertThat(err.toString())
                .contains("send: --error, --invocation-id, --arg and --protocol: only with --service signalr");
        assertThat(run("--service", "webpubsub", "--url", url(""), "--protocol", "msgpack")).isEqualTo(2);
        assertThat(err.toString().lines().filter(line -> line.startsWith("send: ")).count()).isEqualTo(5);
        assertThat(out.toString()).isEmpty();
        assertThat(backend.received()).isEmpty();
    }
}
