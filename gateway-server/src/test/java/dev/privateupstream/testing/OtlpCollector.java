package dev.privateupstream.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/**
 * A real OTLP/HTTP trace receiver on 127.0.0.1: takes {@code POST /v1/traces} with a protobuf
 * {@code ExportTraceServiceRequest}, as an OpenTelemetry collector does, and keeps the spans (and the
 * resources they came with) for the test to look at.
 */
public final class OtlpCollector implements AutoCloseable {
    private final HttpServer server;
    private final List<ResourceSpans> received = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();

    private OtlpCollector(HttpServer server) {
        this.server = server;
    }

    public static OtlpCollector start() throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        final OtlpCollector collector = new OtlpCollector(server);
        server.createContext("/", collector::handle);
        server.start();
        return collector;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            final String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            if (!"POST".equals(exchange.getRequestMethod()) || !"/v1/traces".equals(exchange.getRequestURI().getPath())
                    || !"application/x-protobuf".equals(contentType)) {
                refused.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + contentType);
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            final ExportTraceServiceRequest request;
            try (InputStream in = body(exchange)) {
                request = ExportTraceServiceRequest.parseFrom(in);
            }
            received.addAll(request.getResourceSpansList());
            final byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }
    }

    private static InputStream body(HttpExchange exchange) throws IOException {
        final InputStream in = exchange.getRequestBody();
        return "gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding")) ? new GZIPInputStream(in) : in;
    }

    /** The base URL to give as {@code tracing.otlpEndpoint}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Every resource's spans received so far. */
    public List<ResourceSpans> resourceSpans() {
        return List.copyOf(received);
    }

    /** Every span received so far. */
    public List<Span> spans() {
        final List<Span> spans = new ArrayList<>();
        for (ResourceSpans resource : received) {
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                spans.addAll(scope.getSpansList());
            }
        }
        return spans;
    }

    /** Requests that were not OTLP/HTTP protobuf trace exports. */
    public List<String> refused() {
        return List.copyOf(refused);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
