package dev.privateupstream.tracing;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.TracingConfig;
import io.netty.channel.ChannelHandler;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenTelemetry SDK of one gateway run, when {@code tracing} is configured (SPEC §12): spans go in
 * batches (a {@code BatchSpanProcessor}) to an OTLP/HTTP collector, and {@link #close()} flushes them.
 *
 * <p>The SDK is assembled by its autoconfigure module, so the standard {@code OTEL_*} environment variables
 * (and {@code otel.*} system properties) apply: {@code OTEL_SERVICE_NAME} (default {@code private-upstream-gateway}),
 * {@code OTEL_RESOURCE_ATTRIBUTES}, {@code OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT}, {@code _HEADERS},
 * {@code _TIMEOUT}, {@code _COMPRESSION}, {@code _CERTIFICATE}, the {@code OTEL_BSP_*} batch settings and
 * {@code OTEL_SDK_DISABLED}. The configuration file wins where both speak: {@code tracing.otlpEndpoint}
 * over the endpoint variables, {@code tracing.samplingRatio} over {@code OTEL_TRACES_SAMPLER}; the protocol is
 * always {@code http/protobuf}, traces the only signal, and W3C trace context the only propagation.
 */
public final class GatewayTracing implements AutoCloseable {
    static final String SERVICE_NAME = "private-upstream-gateway";
    private static final Logger logger = LoggerFactory.getLogger(GatewayTracing.class);

    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;

    private GatewayTracing(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
        tracer = sdk.getTracer("dev.privateupstream.gateway");
    }

    /** Starts the SDK for {@code config}; nothing is sent until the first sampled call ends. */
    public static GatewayTracing start(TracingConfig config) {
        requireNonNull(config, "config");
        final Sampler sampler = Sampler.parentBased(Sampler.traceIdRatioBased(config.samplingRatio()));
        final OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> Map.of("otel.service.name", SERVICE_NAME))
                .addPropertiesCustomizer(properties -> overrides(config))
                .addSamplerCustomizer((fromEnvironment, properties) -> sampler)
                .disableShutdownHook() // GatewayServer.close() flushes, after the last call ended
                .build()
                .getOpenTelemetrySdk();
        logger.info("tracing on: OTLP/HTTP to {}, sampling ratio {} for calls without a sampled parent",
                config.otlpEndpoint() == null ? "the OTEL_EXPORTER_OTLP_* endpoint" : config.otlpEndpoint(),
                config.samplingRatio());
        return new GatewayTracing(sdk);
    }

    /** What the configuration file decides, over whatever the environment says. */
    static Map<String, String> overrides(TracingConfig config) {
        final Map<String, String> overrides = new HashMap<>();
        overrides.put("otel.traces.exporter", "otlp");
        overrides.put("otel.metrics.exporter", "none");
        overrides.put("otel.logs.exporter", "none");
        overrides.put("otel.exporter.otlp.traces.protocol", "http/protobuf");
        if (config.otlpEndpoint() != null) {
            final String base = config.otlpEndpoint().toString();
            overrides.put("otel.exporter.otlp.traces.endpoint",
                    (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/traces");
        }
        return overrides;
    }

    /** A new handler that opens and ends the server span of each call on one client connection. */
    public ChannelHandler newServerSpanHandler() {
        return new ServerSpanHandler(tracer);
    }

    /**
     * A new handler that opens and ends the client span of each backend call on one client connection and
     * names it in the forwarded {@code traceparent}; it must follow {@link #newServerSpanHandler()}'s.
     */
    public ChannelHandler newClientSpanHandler() {
        return new ClientSpanHandler(tracer);
    }

    /** Ends the SDK: the spans still batched are exported (up to 10 seconds). */
    @Override
    public void close() {
        final CompletableResultCode result = sdk.shutdown().join(10, TimeUnit.SECONDS);
        if (!result.isSuccess()) {
            logger.warn("tracing: the last spans could not be exported at shutdown");
        }
    }
}
