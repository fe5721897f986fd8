package dev.privateupstream.proxy;

import dev.privateupstream.net.IpAddress;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The header rewrite of SPEC §6 ({@link HeaderRewriteHandler}) on a realistic SignalR upstream request as
 * the service sends it to an Azure Function, and on the backend's response.
 *
 * <p>The rewrite works in place, so each invocation first copies the decoded headers: {@link #copyRequest}
 * and {@link #copyResponse} measure that copy alone (Netty's header object), the others the copy plus the
 * rewrite; the difference is the rewrite's own cost. Those classes are package-private, so this
 * benchmark lives in their package; the header storage is the one Netty's decoders produce, because the
 * templates are decoded from raw bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class HeaderRewriteBenchmark {
    /** Whether the client sent {@code Connection: keep-alive} (and the backend answers with it). */
    @Param({"absent", "keep-alive"})
    String connection;

    private HttpRequest request;
    private HttpResponse response;
    private ProxyExchange exchange;

    @Setup
    public void setUp() {
        final String body = "{\"type\":1,\"target\":\"broadcast\",\"arguments\":[\"user-000123\","
                + "\"hello from the benchmark, a small chat message of a realistic size\"]}";
        final String head = "POST /runtime/webhooks/signalr?code=QmVuY2htYXJrRnVuY3Rpb25LZXlBQUFBQUFBQUFB== HTTP/1.1\r\n"
                + "Host: contoso-func.azurewebsites.net\r\n"
                + "User-Agent: Microsoft.Azure.SignalR/1.25.2\r\n"
                + "Content-Type: application/json; charset=utf-8\r\n"
                + "Content-Length: " + body.length() + "\r\n"
                + "X-ASRS-Connection-Id: Z3JvdXAtY29ubmVjdGlvbi0xMjM0NTY3ODkw\r\n"
                + "X-ASRS-Hub: chat\r\n"
                + "X-ASRS-Category: messages\r\n"
                + "X-ASRS-Event: broadcast\r\n"
                + "X-ASRS-User-Id: user-000123\r\n"
                + "X-ASRS-Signature: sha256=7d5a3c3b0f1e2d4c6b8a9f0e1d2c3b4a5968776655443322110ffeeddccbbaa9,"
                + "sha256=0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9\r\n"
                + "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
                + "X-Forwarded-For: 203.0.113.66\r\n"
                + (connection.equals("keep-alive") ? "Connection: keep-alive\r\n" : "")
                + "\r\n";
        final EmbeddedChannel decoder = new EmbeddedChannel(new HttpRequestDecoder());
        decoder.writeInbound(Unpooled.copiedBuffer(head + body, StandardCharsets.US_ASCII));
        request = decoder.readInbound();
        decoder.finishAndReleaseAll();

        final String responseHead = "HTTP/1.1 200 OK\r\nServer: Kestrel\r\nDate: Sat, 28 Nov 2026 23:00:00 GMT\r\n"
                + "Content-Type: application/json; charset=utf-8\r\nContent-Length: 12\r\n"
                + (connection.equals("keep-alive") ? "Connection: keep-alive\r\n" : "")
                + "Request-Context: appId=cid-v1:00000000-0000-0000-0000-000000000000\r\n\r\n{\"ok\":true}\n";
        final EmbeddedChannel client = new EmbeddedChannel(new HttpResponseDecoder());
        client.writeInbound(Unpooled.copiedBuffer(responseHead, StandardCharsets.US_ASCII));
        response = client.readInbound();
        client.finishAndReleaseAll();

        exchange = new ProxyExchange(request, 0);
        exchange.caller(IpAddress.parse("10.1.0.4"));
        // The rewrite must do its job on this input, or the numbers mean nothing.
        final HttpRequest rewritten = copyAndRewriteRequest();
        final HttpHeaders h = rewritten.headers();
        if (!"10.1.0.4".equals(h.get(HeaderRewriteHandler.X_FORWARDED_FOR)) || h.getAll("X-Forwarded-For").size() != 1
                || h.contains("Connection")) {
            throw new IllegalStateException("rewrite did not happen: " + h);
        }
        if (copyAndRewriteResponse().headers().contains("Connection")) {
            throw new IllegalStateException("response rewrite did not happen");
        }
    }

    @Benchmark
    public HttpRequest copyRequest() {
        return new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                request.headers().copy());
    }

    @Benchmark
    public HttpRequest copyAndRewriteRequest() {
        final HttpRequest copy = copyRequest();
        HeaderRewriteHandler.rewriteRequest(copy, exchange, false);
        return copy;
    }

    @Benchmark
    public HttpResponse copyResponse() {
        return new DefaultHttpResponse(response.protocolVersion(), response.status(), response.headers().copy());
    }

    @Benchmark
    public HttpResponse copyAndRewriteResponse() {
        final HttpResponse copy = copyResponse();
        HeaderRewriteHandler.rewriteResponse(copy, exchange);
        return copy;
    }
}
