package dev.privateupstream.tracing;

import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;

/** Netty's {@link HttpHeaders} as the carrier of W3C trace context: read from the caller, written to the backend. */
enum HeadersAccess implements TextMapGetter<HttpHeaders>, TextMapSetter<HttpHeaders> {
    INSTANCE;

    @Override
    public Iterable<String> keys(HttpHeaders headers) {
        return headers.names();
    }

    @Override
    public String get(HttpHeaders headers, String key) {
        return headers == null ? null : headers.get(key);
    }

    /** Replaces what the caller sent: the backend's parent is the gateway's client span, not the caller. */
    @Override
    public void set(HttpHeaders headers, String key, String value) {
        headers.set(key, value);
    }
}
