package dev.privateupstream.proxy;

import static dev.privateupstream.proxy.HostileFixture.HOST;
import static dev.privateupstream.proxy.HostileFixture.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.RecordingBackend.Recorded;
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
 * Request smuggling in every form we know, over real sockets (SPEC §6): a request whose framing two parsers
 * could read differently gets {@code 400 bad-request} and its connection is closed, and the backend never
 * receives anything. Legal-but-unusual framing (chunk extensions, coding names in upper case) is forwarded
 * re-framed, so the backend never sees the client's framing bytes at all.
 */
class SmugglingIT {
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

    private static final String POST = "POST /api HTTP/1.1\r\nHost: " + HOST + "\r\n";

    static Stream<Arguments> ambiguousFraming() {
        return Stream.of(
                // CL.TE and TE.CL: both framings at once, in either order
                Arguments.of("CL.TE", POST + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"),
                Arguments.of("TE.CL", POST + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                        + "5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n"),
                Arguments.of("CL.TE, CL zero", POST + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhello\r\n0\r\n\r\n"),
                // TE.TE: obfuscated Transfer-Encoding values that some parser might still call chunked
                Arguments.of("TE twice", POST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE chunked twice", POST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "0\r\n\r\n"),
                Arguments.of("TE xchunked", POST + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE chunk", POST + "Transfer-Encoding: chunk\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE quoted", POST + "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE list", POST + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE chunked, identity", POST + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE identity", POST + "Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of("TE empty", POST + "Transfer-Encoding: \r\n\r\n"),
                Arguments.of("TE chunked;q", POST + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE space before colon", POST + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE tab before colon", POST + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE folded value", POST + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE behind a folded line", POST + "X-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE first header folded", "POST /api HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: "
                        + HOST + "\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE with vertical tab", POST + "Transfer-Encoding:\u000bchunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE with form feed", POST + "Transfer-Encoding: chunked\f\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE with NUL", POST + "Transfer-Encoding: chunked\u0000\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE on HTTP/1.0", "POST /api HTTP/1.0\r\nHost: " + HOST
                        + "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE with bare-CR line end", POST + "Transfer-Encoding: chunked\rX: y\r\n\r\n0\r\n\r\n"),
                // Content-Length: several, differing, or not plain digits
                Arguments.of("CL differing", POST + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
                Arguments.of("CL repeated", POST + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of("CL list", POST + "Content-Length: 5, 5\r\n\r\nhello"),
                Arguments.of("CL list differing", POST + "Content-Length: 5, 6\r\n\r\nhello!"),
                Arguments.of("CL plus sign", POST + "Content-Length: +5\r\n\r\nhello"),
                Arguments.of("CL minus sign", POST + "Content-Length: -5\r\n\r\nhello"),
                Arguments.of("CL inner space", POST + "Content-Length: 1 0\r\n\r\nhelloworld"),
                Arguments.of("CL leading zeros", POST + "Content-Length: 005\r\n\r\nhello"),
                Arguments.of("CL zero zero", POST + "Content-Length: 00\r\n\r\n"),
                Arguments.of("CL hex", POST + "Content-Length: 0x5\r\n\r\nhello"),
                Arguments.of("CL decimal point", POST + "Content-Length: 5.0\r\n\r\nhello"),
                Arguments.of("CL empty", POST + "Content-Length: \r\n\r\n"),
                Arguments.of("CL overflow", POST + "Content-Length: 18446744073709551621\r\n\r\nhello"),
                Arguments.of("CL space before colon", POST + "Content-Length : 5\r\n\r\nhello"),
                Arguments.of("CL folded", POST + "Content-Length:\r\n 5\r\n\r\nhello"),
                // chunk framing: sizes that overflow or are not hex, bare line ends, missing CRLF after data
                Arguments.of("chunk size overflow", POST + "Transfer-Encoding: chunked\r\n\r\n"
                        + "fffffffffffffffffffffff1\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size 2^32+5", POST + "Transfer-Encoding: chunked\r\n\r\n"
                        + "100000005\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size negative", POST + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size 0x", POST + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size not hex", POST + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size bare LF", POST + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk data without CRLF", POST + "Transfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhelloXX0\r\n\r\n"),
                Arguments.of("chunk data bare LF", POST + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"),
                Arguments.of("chunk extension with bare LF", POST + "Transfer-Encoding: chunked\r\n\r\n"
                        + "5;a=\nb\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("last chunk bare LF", POST + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\n\n"),
                // line endings and folding in the head
                Arguments.of("bare LF head", "POST /api HTTP/1.1\nHost: " + HOST + "\nContent-Length: 5\n\nhello"),
                Arguments.of("bare LF after request line", "POST /api HTTP/1.1\nHost: " + HOST + "\r\n\r\n"),
                Arguments.of("bare LF header end", POST + "Content-Length: 5\n\r\nhello"),
                Arguments.of("bare CR head", "POST /api HTTP/1.1\rHost: " + HOST + "\r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of("bare CR in value", POST + "X-A: a\rb\r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of("LF CR line end", POST + "Content-Length: 5\n\r\n\rhello"),
                Arguments.of("obs-fold", POST + "X-A: one\r\n two\r\n\r\n"),
                Arguments.of("obs-fold with tab", POST + "X-A: one\r\n\ttwo\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ambiguousFraming")
    void ambiguousFramingIsRefusedAndClosed(String name, String raw) throws Exception {
        fixture.assertRefused(bytes(raw), 400, "bad-request", true);
    }

    /** The same framing tricks from a public caller: framing is judged before the caller, and alike. */
    @Test
    void clTeFromThePublicNetworkIsAlsoABadRequest() throws Exception {
        try (RawClient client = fixture.client("127.0.0.1")) {
            final Response response = client.send(POST + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\nG").read();
            HostileFixture.assertAnswer(response, 400, "bad-request");
            assertThat(client.closedByServer()).isTrue();
        }
        fixture.assertBackendGotNothing();
    }

    /**
     * A smuggled second request hidden in a body is never parsed as a request: the first is refused and the
     * connection closed, so the bytes after it are discarded unread.
     */
    @Test
    void aSmuggledRequestBehindAmbiguousFramingNeverReachesTheBackend() throws Exception {
        final String smuggled = "GET /smuggled HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n";
        try (RawClient client = fixture.client("127.0.0.10")) {
            client.send(POST + "Content-Length: " + (5 + smuggled.length()) + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\n" + smuggled);
            HostileFixture.assertAnswer(client.read(), 400, "bad-request");
            assertThat(client.closedByServer()).isTrue();
        }
        fixture.assertBackendGotNothing();
    }

    @Test
    void chunkExtensionsAreLegalAndNeverReachTheBackend() throws Exception {
        final Response response = fixture.exchange(bytes(POST + "Transfer-Encoding: chunked\r\n\r\n"
                + "5;name=value;quoted=\"a;b\"\r\nhello\r\n6 ; x\r\n world\r\n0;end\r\nX-Trailer: t\r\n\r\n"));
        assertThat(response.status()).isEqualTo(200);
        final List<Recorded> seen = fixture.expectForwarded(1);
        assertThat(new String(seen.get(0).body(), StandardCharsets.US_ASCII)).isEqualTo("hello world");
        assertThat(seen.get(0).headers("X-Forwarded-For")).containsExactly("127.0.0.10");
        fixture.assertBackendGotNothing();
    }

    @Test
    void codingNamesAreCaseInsensitiveAndSurroundingWhitespaceIsOptional() throws Exception {
        for (String value : new String[] {"CHUNKED", "Chunked", "\tchunked ", "chunked   "}) {
            final Response response = fixture.exchange(bytes(POST + "Transfer-Encoding:" + value
                    + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
            assertThat(response.status()).as(value).isEqualTo(200);
            assertThat(fixture.expectForwarded(1).get(0).body()).isEqualTo(bytes("hello"));
        }
    }

    @Test
    void aSingleZeroLengthAndOptionalWhitespaceAroundTheLengthAreFine() throws Exception {
        assertThat(fixture.exchange(bytes(POST + "Content-Length: 0\r\n\r\n")).status()).isEqualTo(200);
        assertThat(fixture.exchange(bytes(POST + "Content-Length:\t5 \r\n\r\nhello")).status()).isEqualTo(200);
        final List<Recorded> seen = fixture.expectForwarded(2);
        assertThat(seen.get(1).body()).isEqualTo(bytes("hello"));
        assertThat(seen.get(1).header("Content-Length")).isEqualTo("5");
    }
}
