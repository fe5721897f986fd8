package dev.privateupstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.privateupstream.simulator.FunctionsBackend;
import dev.privateupstream.simulator.ReceivedRequest;
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
}
