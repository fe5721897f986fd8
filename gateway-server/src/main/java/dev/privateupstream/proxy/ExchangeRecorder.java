package dev.privateupstream.proxy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.privateupstream.caller.ConnectionFacts;
import dev.privateupstream.config.UpstreamProtocol;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.signalr.SignalRHeaders;
import dev.privateupstream.webpubsub.WebPubSubEventCheck;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records each finished exchange: one JSON line on the {@code gateway.access} logger and the request
 * counters of SPEC §8.
 *
 * <p>Increments {@code gateway_requests_total} for every exchange that got an answer, and the admin page's
 * per-endpoint allowed/denied counts. Everything a client
 * controls (path, host, SignalR headers) goes through Jackson's generator, so it is escaped, never trusted.
 */
public final class ExchangeRecorder {
    private static final Logger accessLog = LoggerFactory.getLogger("gateway.access");
    private static final JsonFactory JSON = new JsonFactory();

    private final GatewayMetrics metrics;

    public ExchangeRecorder(GatewayMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics");
    }

    void record(ProxyExchange exchange, Channel channel) {
        if (exchange.status != 0) {
            metrics.request(exchange.upstream(), exchange.outcome(), exchange.status);
            metrics.endpointTraffic().record(exchange.decision(), exchange.outcome(), exchange.denyReason,
                    exchange.startNanos);
        }
        if (accessLog.isInfoEnabled()) {
            accessLog.info(line(exchange, ConnectionFacts.of(channel)));
        }
    }

    static String line(ProxyExchange exchange, ConnectionFacts facts) {
        final StringWriter out = new StringWriter(384);
        final HttpHeaders headers = exchange.request().headers();
        final Decision decision = exchange.decision();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("time", Instant.now().toString());
            json.writeStringField("caller", facts == null ? null : facts.caller().canonical());
            json.writeStringField("peer", facts == null ? null : facts.peerText());
            json.writeStringField("method", exchange.request().method().name());
            json.writeStringField("path", exchange.request().uri());
            json.writeStringField("host", headers.get(HttpHeaderNames.HOST));
            json.writeStringField("upstream", exchange.upstream());
            json.writeStringField("endpoint",
                    decision == null || decision.endpoint() == null ? null : decision.endpoint().name());
            json.writeStringField("outcome",
                    exchange.status == 0 || exchange.aborted ? "aborted" : exchange.outcome().label());
            json.writeStringField("reason", exchange.reason());
            json.writeNumberField("status", exchange.status);
            json.writeNumberField("bytesIn", exchange.bytesIn);
            json.writeNumberField("bytesOut", exchange.bytesOut);
            json.writeNumberField("durationMs",
                    TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - exchange.startNanos) / 1000.0);
            if (facts != null && facts.linkId() != null) {
                json.writeNumberField("linkId", facts.linkId().value());
            }
            if (isWebPubSub(exchange, headers)) {
                optional(json, "hub", headers.get(WebPubSubHeaderNames.HUB));
                optional(json, "category", WebPubSubEventCheck.category(headers.get(WebPubSubHeaderNames.TYPE)));
                optional(json, "event", headers.get(WebPubSubHeaderNames.EVENT_NAME));
                optional(json, "connectionId", headers.get(WebPubSubHeaderNames.CONNECTION_ID));
                optional(json, "userId", headers.get(WebPubSubHeaderNames.USER_ID));
            } else {
                optional(json, "hub", headers.get(SignalRHeaders.HUB));
                optional(json, "category", headers.get(SignalRHeaders.CATEGORY));
                optional(json, "event", headers.get(SignalRHeaders.EVENT));
                optional(json, "connectionId", headers.get(SignalRHeaders.CONNECTION_ID));
                optional(json, "userId", headers.get(SignalRHeaders.USER_ID));
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing to a StringWriter cannot fail", e);
        }
        return out.toString();
    }

    /**
     * Whether the call's facts are Web PubSub's {@code ce-*} headers: it routed to a Web PubSub upstream, or
     * reached none and carries {@code ce-hub} without {@code X-ASRS-Hub}.
     */
    private static boolean isWebPubSub(ProxyExchange exchange, HttpHeaders headers) {
        final UpstreamProtocol protocol = exchange.protocol();
        if (protocol != null) {
            return protocol == UpstreamProtocol.WEBPUBSUB;
        }
        return headers.contains(WebPubSubHeaderNames.HUB) && !headers.contains(SignalRHeaderNames.HUB);
    }

    private static void optional(JsonGenerator json, String field, String value) throws IOException {
        if (value != null) {
            json.writeStringField(field, value);
        }
    }
}
