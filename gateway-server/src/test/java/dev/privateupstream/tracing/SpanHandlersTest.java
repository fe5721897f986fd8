package dev.privateupstream.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The span handlers on an {@link EmbeddedChannel}: when spans start and end, and what the backend is told. */
class SpanHandlersTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN_ID = "00f067aa0ba902b7";

    private final List<SpanData> ended = new CopyOnWriteArrayList<>();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
                @Override
                public CompletableResultCode export(Collection<SpanData> spans) {
                    ended.addAll(spans);
                    return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode flush() {
                    return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode shutdown() {
                    return CompletableResultCode.ofSuccess();
                }
            }))
            .build();
    private final EmbeddedChannel channel = new EmbeddedChannel(
            new ServerSpanHandler(provider.get("test")), new ClientSpanHandler(provider.get("test")));

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
        provider.close();
    }

    @Test
    void aCallEndsBothSpansWhenItsAnswerIsWrittenAndTheBackendIsToldTheClientSpan() {
        channel.writeInbound(request());
        final FullHttpRequest forwarded = channel.readInbound();
        assertThat(ended).isEmpty();

        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        assertThat(ended).as("an interim answer ends nothing").isEmpty();
        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));

        final SpanData client = only(SpanKind.CLIENT);
        final SpanData server = only(SpanKind.SERVER);
        assertThat(server.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(server.getParentSpanId()).isEqualTo(CALLER_SPAN_ID);
        assertThat(server.getAttributes().get(SpanAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200L);
        assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(client.getParentSpanId()).isEqualTo(server.getSpanId());
        assertThat(forwarded.headers().getAll("traceparent"))
                .containsExactly("00-" + TRACE_ID + "-" + client.getSpanId() + "-01");
        assertThat(forwarded.headers().get("tracestate")).isEqualTo("vendor=opaque");
        forwarded.release();
    }

    @Test
    void aConnectionThatEndsBeforeTheAnswerEndsBothSpansAsFailed() {
        channel.writeInbound(request());
        ((FullHttpRequest) channel.readInbound()).release();

        channel.close();

        assertThat(ended).hasSize(2).allSatisfy(span -> {
            assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(span.hasEnded()).isTrue();
        });
    }

    @Test
    void aGatewayErrorFailsTheServerSpanAndABackend404OnlyTheClientSpan() {
        channel.writeInbound(request());
        ((FullHttpRequest) channel.readInbound()).release();
        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND));

        assertThat(only(SpanKind.SERVER).getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(only(SpanKind.CLIENT).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    }

    private SpanData only(SpanKind kind) {
        final List<SpanData> spans = ended.stream().filter(s -> s.getKind() == kind).toList();
        assertThat(spans).as("%s spans", kind).hasSize(1);
        return spans.get(0);
    }

    private static FullHttpRequest request() {
        final FullHttpRequest request =
                new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api?code=k");
        request.headers().set("traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN_ID + "-01");
        request.headers().set("tracestate", "vendor=opaque");
        return request;
    }
}
