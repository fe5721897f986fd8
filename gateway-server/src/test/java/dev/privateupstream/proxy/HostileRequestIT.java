package dev.privateupstream.proxy;

import static dev.privateupstream.proxy.HostileFixture.HOST;
import static dev.privateupstream.proxy.HostileFixture.MAX_BODY_BYTES;
import static dev.privateupstream.proxy.HostileFixture.MAX_HEADER_BYTES;
import static dev.privateupstream.proxy.HostileFixture.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.RecordingBackend.Recorded;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile request heads, targets, bytes, sizes and pipelines over real sockets, each with its exact answer
 * (SPEC §5, §6) and a backend that receives nothing; plus spoofed forwarding headers that never change a
 * decision.
 */
class HostileRequestIT {
    @TempDir
    static Path dir;

    private static HostileFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = HostileFixture.start(dir, "");
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    private static final String H = "Host: " + HOST + "\r\n";

    static Stream<Arguments> badRequests() {
        return Stream.of(
                // methods and targets a reverse proxy must not serve
                Arguments.of("CONNECT", "CONNECT " + HOST + ":443 HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("CONNECT origin-form", "CONNECT / HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("TRACE", "TRACE / HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("GET *", "GET * HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("authority form", "GET " + HOST + ":80 HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("absolute ftp", "GET ftp://" + HOST + "/x HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("absolute file", "GET file:///etc/passwd HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("absolute with user info", "GET http://user@" + HOST + "/x HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("absolute empty authority", "GET http:///x HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("scheme-relative", "GET //" + HOST + "/x HTTP/1.1\r\n" + H + "\r\n"),
                // found by RequestPathFuzzTest: absolute form whose path would read as another authority
                Arguments.of("absolute with // path", "GET http://" + HOST + "//evil.example/x HTTP/1.1\r\n" + H
                        + "\r\n"),
                Arguments.of("absolute with empty port and // path", "GET http://" + HOST + "://:80/x HTTP/1.1\r\n"
                        + H + "\r\n"),
                Arguments.of("relative path", "GET x HTTP/1.1\r\n" + H + "\r\n"),
                // request lines: HTTP/0.9, unknown versions, the HTTP/2 preface, odd spacing
                Arguments.of("HTTP/0.9", "GET /\r\n\r\n"),
                Arguments.of("HTTP/0.9 with header", "GET /\r\n" + H + "\r\n"),
                Arguments.of("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
                Arguments.of("HTTP/2.0", "GET / HTTP/2.0\r\n" + H + "\r\n"),
                Arguments.of("HTTP/1.2", "GET / HTTP/1.2\r\n" + H + "\r\n"),
                Arguments.of("HTTP/3", "GET / HTTP/3\r\n" + H + "\r\n"),
                Arguments.of("lower-case version", "GET / http/1.1\r\n" + H + "\r\n"),
                Arguments.of("version 1.1.1", "GET / HTTP/1.1.1\r\n" + H + "\r\n"),
                Arguments.of("not HTTP", "GET / FOO/1.1\r\n" + H + "\r\n"),
                Arguments.of("two spaces", "GET  / HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("trailing space", "GET / HTTP/1.1 \r\n" + H + "\r\n"),
                Arguments.of("leading space", " GET / HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("tab separator", "GET\t/ HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("space in target", "GET /a b HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("four parts", "GET / HTTP/1.1 x\r\n" + H + "\r\n"),
                // header names with spaces, controls or non-token characters
                Arguments.of("space in name", "GET / HTTP/1.1\r\n" + H + "X A: b\r\n\r\n"),
                Arguments.of("space before colon", "GET / HTTP/1.1\r\n" + H + "X-A : b\r\n\r\n"),
                Arguments.of("control in name", "GET / HTTP/1.1\r\n" + H + "X\u0001A: b\r\n\r\n"),
                Arguments.of("DEL in name", "GET / HTTP/1.1\r\n" + H + "X\u007fA: b\r\n\r\n"),
                Arguments.of("empty name", "GET / HTTP/1.1\r\n" + H + ": b\r\n\r\n"),
                Arguments.of("no colon", "GET / HTTP/1.1\r\n" + H + "X-A b\r\n\r\n"),
                Arguments.of("separator in name", "GET / HTTP/1.1\r\n" + H + "X(A): b\r\n\r\n"),
                Arguments.of("obs-text in name", "GET / HTTP/1.1\r\n" + H + "X-\u00e9: b\r\n\r\n"),
                // NUL and control bytes anywhere in the head
                Arguments.of("NUL in value", "GET / HTTP/1.1\r\n" + H + "X-A: a\u0000b\r\n\r\n"),
                Arguments.of("NUL in target", "GET /a\u0000b HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("NUL in method", "G\u0000T / HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("NUL before the head", "\u0000GET / HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("control in value", "GET / HTTP/1.1\r\n" + H + "X-A: a\u0001b\r\n\r\n"),
                Arguments.of("escape in value", "GET / HTTP/1.1\r\n" + H + "X-A: \u001b[31m\r\n\r\n"),
                Arguments.of("DEL in value", "GET / HTTP/1.1\r\n" + H + "X-A: a\u007fb\r\n\r\n"),
                // bytes outside ASCII in the request line: targets are ASCII (RFC 3986)
                Arguments.of("obs-text in target", "GET /caf\u00e9 HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("raw UTF-8 in target", "GET /caf\u00c3\u00a9 HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("0xff in method", "G\u00ffT / HTTP/1.1\r\n" + H + "\r\n"),
                // Host: missing on HTTP/1.1, twice, or not a host
                Arguments.of("no Host", "GET / HTTP/1.1\r\n\r\n"),
                Arguments.of("two Hosts", "GET / HTTP/1.1\r\n" + H + H + "\r\n"),
                Arguments.of("Host with space", "GET / HTTP/1.1\r\nHost: func-a.example evil\r\n\r\n"),
                Arguments.of("Host with comma", "GET / HTTP/1.1\r\nHost: func-a.example,evil\r\n\r\n"),
                Arguments.of("Host with user info", "GET / HTTP/1.1\r\nHost: u@func-a.example\r\n\r\n"),
                Arguments.of("Host with slash", "GET / HTTP/1.1\r\nHost: func-a.example/x\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badRequestsGet400AndTheConnectionCloses(String name, String raw) throws Exception {
        fixture.assertRefused(bytes(raw), 400, "bad-request", true);
    }

    @Test
    void http2PriorKnowledgeIsRefusedFromAnyCaller() throws Exception {
        final byte[] preface = bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u0000\u0000\u0012\u0004\u0000\u0000\u0000\u0000\u0000");
        for (String source : new String[] {"127.0.0.1", "127.0.0.20", "127.0.0.10"}) {
            try (RawClient client = fixture.client(source)) {
                HostileFixture.assertAnswer(client.send(preface).read(), 400, "bad-request");
                assertThat(client.closedByServer()).isTrue();
            }
        }
        fixture.assertBackendGotNothing();
    }

    @Test
    void aRequestLineOverEightKibibytesIs414() throws Exception {
        final String target = "/" + "a".repeat(StrictHttpRequestDecoder.MAX_REQUEST_LINE);
        fixture.assertRefused(bytes("GET " + target + " HTTP/1.1\r\n" + H + "\r\n"), 414, "uri-too-long", true);
    }

    @Test
    void aRequestLineOverTheLimitIs414EvenBeforeItEnds() throws Exception {
        // No CRLF at all: the gateway must not wait for one, nor buffer without bound.
        fixture.assertRefused(bytes("GET /" + "a".repeat(20_000)), 414, "uri-too-long", true);
    }

    @Test
    void aRequestLineJustUnderTheLimitIsServed() throws Exception {
        final String start = "GET /";
        final String end = " HTTP/1.1";
        final String target = "a".repeat(StrictHttpRequestDecoder.MAX_REQUEST_LINE - start.length() - end.length());
        final Response response = fixture.exchange(bytes(start + target + end + "\r\n" + H + "\r\n"));
        assertThat(response.status()).isEqualTo(200);
        // Forwarded whole; the recording backend's own decoder stops at 4 KiB lines, so it cannot show the uri.
        assertThat(fixture.expectForwarded(1)).hasSize(1);
    }

    @Test
    void aHeaderBlockOverTheLimitIs431() throws Exception {
        fixture.assertRefused(bytes("GET / HTTP/1.1\r\n" + H + "X-Big: " + "b".repeat(MAX_HEADER_BYTES) + "\r\n\r\n"),
                431, "headers-too-large", true);
    }

    @Test
    void manySmallHeadersOverTheLimitAre431() throws Exception {
        final StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\n" + H);
        for (int i = 0; head.length() < MAX_HEADER_BYTES + 100; i++) {
            head.append("X-").append(i).append(": v\r\n");
        }
        fixture.assertRefused(bytes(head + "\r\n"), 431, "headers-too-large", true);
    }

    @Test
    void anEndlessHeaderLineIs431BeforeItEnds() throws Exception {
        fixture.assertRefused(bytes("GET / HTTP/1.1\r\n" + H + "X-Big: " + "b".repeat(3 * MAX_HEADER_BYTES)), 431,
                "headers-too-large", true);
    }

    @Test
    void aContentLengthOverTheLimitIs413BeforeAnyByteIsForwarded() throws Exception {
        // The body is not even sent: the answer comes from the head alone.
        fixture.assertRefused(bytes("POST /api HTTP/1.1\r\n" + H + "Content-Length: " + (MAX_BODY_BYTES + 1)
                + "\r\n\r\n"), 413, "body-too-large", true);
    }

    @Test
    void aClientThatSendsItsWholeOversizedBodyAnywayStillReads413() throws Exception {
        // The answer goes out while the body is still arriving; closing at once would reset the
        // connection and could destroy the 413 before the client reads it.
        final int size = 256 * 1024;
        fixture.assertRefused(bytes("POST /api HTTP/1.1\r\n" + H + "Content-Length: " + size + "\r\n\r\n"
                + "z".repeat(size)), 413, "body-too-large", true);
    }

    @Test
    void aChunkedBodyOverTheLimitIs413AndTheBackendGetsNoCompleteRequest() throws Exception {
        final ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.writeBytes(bytes("POST /api HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n"));
        for (int i = 0; i < 8; i++) {
            raw.writeBytes(bytes("100\r\n" + "x".repeat(256) + "\r\n"));
        }
        raw.writeBytes(bytes("0\r\n\r\n"));
        fixture.assertRefused(raw.toByteArray(), 413, "body-too-large", true);
    }

    @Test
    void aChunkedBodyThatPassesTheLimitIsCutAtOnceWithoutTheRest() throws Exception {
        // The client sends just over the limit and then waits: the 413 must not wait for the rest.
        try (RawClient client = fixture.client("127.0.0.10")) {
            client.send("POST /api HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(MAX_BODY_BYTES + 1) + "\r\n" + "x".repeat(MAX_BODY_BYTES + 1));
            HostileFixture.assertAnswer(client.read(), 413, "body-too-large");
            assertThat(client.closedByServer()).isTrue();
        }
        fixture.assertBackendGotNothing();
    }

    @Test
    void aBodyAtTheLimitIsServed() throws Exception {
        final String body = "y".repeat(MAX_BODY_BYTES);
        assertThat(fixture.exchange(bytes("POST /api HTTP/1.1\r\n" + H + "Content-Length: " + MAX_BODY_BYTES
                + "\r\n\r\n" + body)).status()).isEqualTo(200);
        assertThat(fixture.exchange(bytes("POST /api HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(MAX_BODY_BYTES) + "\r\n" + body + "\r\n0\r\n\r\n")).status()).isEqualTo(200);
        final List<Recorded> seen = fixture.expectForwarded(2);
        assertThat(seen.get(0).body()).hasSize(MAX_BODY_BYTES);
        assertThat(seen.get(1).body()).hasSize(MAX_BODY_BYTES);
    }

    @Test
    void obsTextInHeaderValuesIsForwardedByteForByte() throws Exception {
        // RFC 9110 §5.5: obs-text (0x80-0xFF) is allowed in field values; not UTF-8 and not ours to judge.
        final String value = "caf\u00e9 \u00ff\u0080 \u00c3\u00a9";
        final Response response = fixture.exchange(bytes("GET /v HTTP/1.1\r\n" + H + "X-Latin: " + value + "\r\n\r\n"));
        assertThat(response.status()).isEqualTo(200);
        final Recorded seen = fixture.expectForwarded(1).get(0);
        assertThat(seen.header("X-Latin")).isEqualTo(value); // Netty maps each byte to one char: same bytes
    }

    @Test
    void absoluteFormThatRoutesLikeAHostIsRewrittenToOriginForm() throws Exception {
        final Response response = fixture.exchange(bytes("GET http://" + HOST + ":8080/x?y=1 HTTP/1.1\r\n"
                + "Host: ignored.example\r\n\r\n"));
        assertThat(response.status()).isEqualTo(200);
        final Recorded seen = fixture.expectForwarded(1).get(0);
        assertThat(seen.uri()).isEqualTo("/x?y=1");
        assertThat(seen.headers("Host")).containsExactly(HOST + ":8080");
        assertThat(seen.header("X-Forwarded-Host")).isEqualTo(HOST + ":8080");
    }

    @Test
    void absoluteFormWithAHostThatRoutesNowhereIs404() throws Exception {
        fixture.assertRefused(bytes("GET http://evil.example/x HTTP/1.1\r\n" + H + "\r\n"), 404, "no-route", false);
    }

    @Test
    void absoluteFormFromThePublicNetworkLearnsNothingButA403() throws Exception {
        try (RawClient client = fixture.client("127.0.0.1")) {
            final Response response = client.send("GET http://" + HOST + "/x HTTP/1.1\r\n" + H + "\r\n").read();
            HostileFixture.assertAnswer(response, 403, "public-network");
        }
        fixture.assertBackendGotNothing();
    }

    /** Answers stay in order, and a refusal between two allowed calls keeps the connection for the third. */
    @Test
    void aPipelineWithADeniedMiddleRequestAnswersAllThreeInOrder() throws Exception {
        try (RawClient client = fixture.client("127.0.0.10")) {
            client.send("POST /one HTTP/1.1\r\n" + H + "Content-Length: 3\r\n\r\none"
                    // approved endpoint, but func-b.example routes to another resource's upstream
                    + "POST /two HTTP/1.1\r\nHost: func-b.example\r\nContent-Length: 3\r\n\r\ntwo"
                    + "POST /three HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nthree");
            assertThat(client.read().status()).isEqualTo(200);
            final Response denied = client.read();
            HostileFixture.assertAnswer(denied, 403, "wrong-upstream");
            assertThat(denied.header("X-Gateway-Deny-Reason")).isEqualTo("wrong-upstream");
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(client.timeout(200).closedByServer()).isFalse();
        }
        final List<Recorded> seen = fixture.expectForwarded(2);
        assertThat(seen).extracting(Recorded::uri).containsExactly("/one", "/three");
        assertThat(new String(seen.get(1).body(), StandardCharsets.US_ASCII)).isEqualTo("three");
        fixture.assertBackendGotNothing();
    }

    /** A bad request in the middle ends the connection: the third request is never read, let alone sent. */
    @Test
    void aPipelineWithAMalformedMiddleRequestClosesAfterItsAnswer() throws Exception {
        try (RawClient client = fixture.client("127.0.0.10")) {
            client.send("POST /one HTTP/1.1\r\n" + H + "Content-Length: 3\r\n\r\none"
                    + "POST /two HTTP/1.1\r\n" + H + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\n"
                    + "POST /three HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nthree");
            assertThat(client.read().status()).isEqualTo(200);
            final Response bad = client.read();
            HostileFixture.assertAnswer(bad, 400, "bad-request");
            assertThat(bad.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(fixture.expectForwarded(1)).extracting(Recorded::uri).containsExactly("/one");
        fixture.assertBackendGotNothing();
    }

    @Test
    void aPipelineOfManyRequestsIsAnsweredInOrder() throws Exception {
        final StringBuilder pipeline = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            pipeline.append("GET /p").append(i).append(" HTTP/1.1\r\n").append(H).append("\r\n");
        }
        try (RawClient client = fixture.client("127.0.0.10")) {
            client.send(pipeline.toString());
            for (int i = 0; i < 50; i++) {
                assertThat(client.read().status()).isEqualTo(200);
            }
        }
        final List<Recorded> seen = fixture.expectForwarded(50);
        for (int i = 0; i < 50; i++) {
            assertThat(seen.get(i).uri()).isEqualTo("/p" + i);
        }
    }

    static Stream<Arguments> spoofedSources() {
        return Stream.of(
                Arguments.of("127.0.0.1", "public-network", "X-Forwarded-For: 127.0.0.10\r\n"),
                Arguments.of("127.0.0.1", "public-network", "X-Forwarded-For: 10.1.0.4, 127.0.0.10\r\n"),
                Arguments.of("127.0.0.1", "public-network", "Forwarded: for=127.0.0.10;proto=http\r\n"),
                Arguments.of("127.0.0.1", "public-network", "X-Real-IP: 127.0.0.10\r\n"),
                Arguments.of("127.0.0.1", "public-network", "X-Client-IP: 127.0.0.10\r\nTrue-Client-IP: 127.0.0.10\r\n"),
                Arguments.of("127.0.0.20", "endpoint-pending", "X-Forwarded-For: 127.0.0.10\r\n"),
                Arguments.of("127.0.0.20", "endpoint-pending", "Forwarded: for=\"127.0.0.10\"\r\n"),
                Arguments.of("127.0.0.20", "endpoint-pending", "X-Real-IP: 127.0.0.10\r\n"),
                Arguments.of("127.0.0.30", "endpoint-rejected",
                        "X-Forwarded-For: 127.0.0.10\r\nX-Forwarded-For: 127.0.0.10\r\n"));
    }

    @ParameterizedTest(name = "{0} with {2}")
    @MethodSource("spoofedSources")
    void spoofedForwardingHeadersNeverChangeTheDecision(String source, String reason, String spoof) throws Exception {
        try (RawClient client = fixture.client(source)) {
            final Response response = client.send("POST /api HTTP/1.1\r\n" + H + spoof
                    + "Content-Length: 2\r\n\r\nhi").read();
            HostileFixture.assertAnswer(response, 403, reason);
            assertThat(response.header("X-Gateway-Deny-Reason")).isEqualTo(reason);
            assertThat(client.timeout(200).closedByServer()).isFalse(); // a refusal keeps the connection
        }
        fixture.assertBackendGotNothing();
    }

    @Test
    void spoofedForwardingHeadersOfAnApprovedCallerAreReplacedNotPassedOn() throws Exception {
        final Response response = fixture.exchange(bytes("GET /api HTTP/1.1\r\n" + H
                + "X-Forwarded-For: 10.9.9.9\r\nForwarded: for=10.9.9.9\r\nX-Real-IP: 10.9.9.9\r\n\r\n"));
        assertThat(response.status()).isEqualTo(200);
        final Recorded seen = fixture.expectForwarded(1).get(0);
        assertThat(seen.headers("X-Forwarded-For")).containsExactly("127.0.0.10");
        assertThat(seen.header("Forwarded")).isNull();
        assertThat(seen.header("X-Real-IP")).isNull();
    }
}
