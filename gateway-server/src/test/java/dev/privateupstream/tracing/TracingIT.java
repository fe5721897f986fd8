package dev.privateupstream.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.privateupstream.testing.OtlpCollector;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestGateway;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §12's traces, end to end: a gateway in this process exports over OTLP/HTTP to a real receiver on
 * loopback, and the backend's recorded headers show what it was told. The gateway is closed before the spans
 * are read, so the test also shows that shutdown flushes the batch.
 */
class TracingIT {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN_ID = "00f067aa0ba902b7";
    private static final String ACCESS_KEY = "tracing-test-access-key";
    private static final String TOKEN = "eyJhbGciOiJub25lIn0.tracing-test-token";
    private static final String FUNCTION_KEY = "tracing-test-function-key";
    private static final String CONNECTION_ID = "conn-1";

    @TempDir
    Path dir;
    private OtlpCollector collector;
    private RecordingBackend backend;
    private TestGateway gateway;

    @BeforeEach
    void start() throws Exception {
        collector = OtlpCollector.start();
        backend = RecordingBackend.start();
        gateway = TestGateway.standard(dir, backend, """
                signalr:
                  accessKeys: [ "%s" ]
                  requireSignature: true
                tracing:
                  otlpEndpoint: %s
                  samplingRatio: 0
                """.formatted(ACCESS_KEY, collector.url()));
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
        collector.close();
    }

    @Test
    void continuesTheCallersTraceThroughTheGatewayToTheBackend() throws Exception {
        final RawClient.Response response = call("127.0.0.10", "01");
        assertThat(response.status()).isEqualTo(200);
        closeGateway();

        final Span server = only(SpanKindOf.SERVER);
        assertThat(hex(server.getTraceId())).isEqualTo(TRACE_ID);
        assertThat(hex(server.getParentSpanId())).isEqualTo(CALLER_SPAN_ID);
        assertThat(server.getName()).isEqualTo("POST func-a");
        assertThat(attributes(server)).containsEntry("gateway.decision", "allow")
                .containsEntry("gateway.upstream", "func-a")
                .containsEntry("gateway.endpoint", "approved")
                .containsEntry("http.request.method", "POST")
                .containsEntry("http.response.status_code", "200")
                .containsEntry("client.address", "127.0.0.10")
                .doesNotContainKey("gateway.reason");

        final Span client = only(SpanKindOf.CLIENT);
        assertThat(client.getTraceId()).isEqualTo(server.getTraceId());
        assertThat(client.getParentSpanId()).isEqualTo(server.getSpanId());
        assertThat(attributes(client)).containsEntry("gateway.upstream", "func-a")
                .containsEntry("server.address", "127.0.0.1")
                .containsEntry("server.port", String.valueOf(backend.port()))
                .containsEntry("http.response.status_code", "200");

        final RecordingBackend.Recorded forwarded = backend.received().get(0);
        assertThat(forwarded.headers("traceparent"))
                .containsExactly("00-" + TRACE_ID + "-" + hex(client.getSpanId()) + "-01");
        assertThat(forwarded.header("tracestate")).isEqualTo("vendor=opaque");
        assertThat(collector.resourceSpans().get(0).getResource().getAttributesList())
                .anySatisfy(kv -> {
                    assertThat(kv.getKey()).isEqualTo("service.name");
                    assertThat(kv.getValue().getStringValue()).isEqualTo(GatewayTracing.SERVICE_NAME);
                });
        assertNoSecrets();
    }

    @Test
    void aDeniedCallHasAServerSpanWithItsReasonAndNoClientSpan() throws Exception {
        final RawClient.Response response = call("127.0.0.20", "01");
        assertThat(response.status()).isEqualTo(403);
        final String reason = response.bodyText().replaceAll(".*\"reason\":\"([^\"]+)\".*", "$1");
        closeGateway();

        final Span server = only(SpanKindOf.SERVER);
        assertThat(hex(server.getTraceId())).isEqualTo(TRACE_ID);
        assertThat(hex(server.getParentSpanId())).isEqualTo(CALLER_SPAN_ID);
        assertThat(attributes(server)).containsEntry("gateway.decision", "deny")
                .containsEntry("gateway.reason", reason)
                .containsEntry("gateway.endpoint", "pending")
                .containsEntry("http.response.status_code", "403")
                .containsEntry("client.address", "127.0.0.20");
        assertThat(reason).isEqualTo("endpoint-pending");
        assertThat(collector.spans()).noneMatch(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT);
        assertThat(backend.received()).isEmpty();
        assertNoSecrets();
    }

    @Test
    void anUnsampledCallerIsNotTracedButItsTraceStillReachesTheBackend() throws Exception {
        // samplingRatio 0 with a parent that did not sample: nothing exported, the flag passed on.
        assertThat(call("127.0.0.10", "00").status()).isEqualTo(200);
        closeGateway();

        assertThat(collector.spans()).isEmpty();
        assertThat(backend.received().get(0).header("traceparent")).startsWith("00-" + TRACE_ID + "-")
                .endsWith("-00").doesNotContain(CALLER_SPAN_ID);
        assertThat(collector.refused()).isEmpty();
    }

    private RawClient.Response call(String source, String flags) throws Exception {
        final String body = "{\"type\":10}";
        try (RawClient caller = new RawClient(source, gateway.port())) {
            return caller.send("POST /runtime/webhooks/signalr?code=" + FUNCTION_KEY + " HTTP/1.1\r\n"
                    + "Host: func-a.example\r\n"
                    + "traceparent: 00-" + TRACE_ID + "-" + CALLER_SPAN_ID + "-" + flags + "\r\n"
                    + "tracestate: vendor=opaque\r\n"
                    + "Authorization: Bearer " + TOKEN + "\r\n"
                    + "X-ASRS-Connection-Id: " + CONNECTION_ID + "\r\n"
                    + "X-ASRS-Hub: chat\r\nX-ASRS-Category: connections\r\nX-ASRS-Event: connected\r\n"
                    + "X-ASRS-Signature: " + signature() + "\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .read();
        }
    }

    private void closeGateway() throws Exception {
        gateway.close();
        gateway = null;
    }

    private void assertNoSecrets() throws Exception {
        final String signatureHex = signature().substring("sha256=".length());
        for (Span span : collector.spans()) {
            assertThat(span.getName()).doesNotContain(FUNCTION_KEY);
            for (String value : attributes(span).values()) {
                assertThat(value).doesNotContainIgnoringCase(signatureHex).doesNotContain(TOKEN)
                        .doesNotContain(FUNCTION_KEY).doesNotContain(ACCESS_KEY);
            }
        }
    }

    private static String signature() throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(ACCESS_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(CONNECTION_ID.getBytes(StandardCharsets.UTF_8)));
    }

    private Span only(SpanKindOf kind) {
        final List<Span> spans = collector.spans().stream().filter(s -> s.getKind() == kind.proto).toList();
        assertThat(spans).as("%s spans of %s", kind, collector.spans()).hasSize(1);
        return spans.get(0);
    }

    private static Map<String, String> attributes(Span span) {
        final Map<String, String> attributes = new LinkedHashMap<>();
        for (KeyValue kv : span.getAttributesList()) {
            final AnyValue value = kv.getValue();
            attributes.put(kv.getKey(), value.hasIntValue() ? String.valueOf(value.getIntValue())
                    : value.getStringValue());
        }
        return attributes;
    }

    private static String hex(ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    private enum SpanKindOf {
        SERVER(Span.SpanKind.SPAN_KIND_SERVER), CLIENT(Span.SpanKind.SPAN_KIND_CLIENT);

        final Span.SpanKind proto;

        SpanKindOf(Span.SpanKind proto) {
            this.proto = proto;
        }
    }
}
