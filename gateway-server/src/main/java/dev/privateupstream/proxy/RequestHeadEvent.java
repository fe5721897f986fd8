package dev.privateupstream.proxy;

/**
 * Fired by {@link StrictHttpRequestDecoder} when the first byte of a request head arrives, so the header
 * timeout can run from that moment (SPEC §4 {@code limits.headerTimeout}).
 */
public enum RequestHeadEvent {
    STARTED
}
