package dev.privateupstream.tracing;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attributes our spans carry: SPEC §12's {@code gateway.*} and OpenTelemetry's HTTP semantic conventions.
 * Nothing else: no header but the trace context, no path or query (an Azure Functions key rides in
 * {@code ?code=}), no signature or token.
 */
final class SpanAttributes {
    static final AttributeKey<String> DECISION = AttributeKey.stringKey("gateway.decision");
    static final AttributeKey<String> REASON = AttributeKey.stringKey("gateway.reason");
    static final AttributeKey<String> UPSTREAM = AttributeKey.stringKey("gateway.upstream");
    static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("gateway.endpoint");
    static final AttributeKey<String> HTTP_REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");

    static final String ALLOW = "allow";
    static final String DENY = "deny";

    private SpanAttributes() {
    }
}
