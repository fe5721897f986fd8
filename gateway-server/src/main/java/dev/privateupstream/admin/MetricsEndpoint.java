package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.metrics.GatewayMetrics;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code GET /metrics}: the Prometheus text exposition of every meter (SPEC §8). Needs no token, like
 * {@code /healthz} and {@code /readyz}: it carries no address, hub or connection id.
 */
final class MetricsEndpoint {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final GatewayMetrics metrics;

    MetricsEndpoint(GatewayMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics");
    }

    AdminResponse scrape() {
        return new AdminResponse(HttpResponseStatus.OK, CONTENT_TYPE,
                metrics.scrape().getBytes(StandardCharsets.UTF_8), Map.of());
    }
}
