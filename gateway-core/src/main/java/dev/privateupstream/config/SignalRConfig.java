package dev.privateupstream.config;

import java.util.List;

/**
 * {@code signalr.*}: signature keys and request validation (SPEC §6a).
 *
 * @param accessKeys the access keys a valid {@code X-ASRS-Signature} may be made with (empty entries dropped)
 * @param requireSignature refuse calls without a valid signature
 * @param validateRequests refuse calls that are not well-formed SignalR upstream calls
 */
public record SignalRConfig(List<String> accessKeys, boolean requireSignature, boolean validateRequests) {
    public SignalRConfig {
        accessKeys = List.copyOf(accessKeys);
    }
}
