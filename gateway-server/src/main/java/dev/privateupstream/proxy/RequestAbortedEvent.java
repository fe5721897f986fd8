package dev.privateupstream.proxy;

/**
 * Fired down the pipeline when the gateway refuses a request whose head may already have gone on to the
 * relay: a malformed chunk or a body over the limit found mid-stream. The relay closes the backend
 * connection at once, without ending the request, so the backend never sees a truncated body as a complete
 * one (SPEC §6).
 */
public enum RequestAbortedEvent {
    ABORTED
}
