package dev.privateupstream.config;

import java.net.URI;

/**
 * {@code tracing.*}: OpenTelemetry traces over OTLP/HTTP (SPEC §12).
 *
 * @param otlpEndpoint the collector's OTLP/HTTP base URL (spans go to its {@code /v1/traces}), or {@code null}
 *        to leave it to {@code OTEL_EXPORTER_OTLP_ENDPOINT} (default {@code http://localhost:4318})
 * @param samplingRatio the share of calls without a sampled parent that are traced, from 0 to 1; a caller's
 *        {@code traceparent} decides for its own calls
 */
public record TracingConfig(URI otlpEndpoint, double samplingRatio) {
    public static final double DEFAULT_SAMPLING_RATIO = 1.0;

    public TracingConfig {
        if (!(samplingRatio >= 0 && samplingRatio <= 1)) {
            throw new IllegalArgumentException("samplingRatio: " + samplingRatio + " (expected: from 0 to 1)");
        }
    }
}
