package dev.privateupstream.config;

import java.util.List;

/**
 * {@code signalr.*}: signature keys and request validation (SPEC §6a), and the token check (SPEC §13).
 *
 * @param accessKeys the access keys a valid {@code X-ASRS-Signature} may be made with (empty entries dropped)
 * @param requireSignature refuse calls without a valid signature
 * @param validateRequests refuse calls that are not well-formed SignalR upstream calls
 * @param identity the token check, or {@code null} when no token is required
 */
public record SignalRConfig(List<String> accessKeys, boolean requireSignature, boolean validateRequests,
        IdentityConfig identity) {
    public SignalRConfig {
        accessKeys = List.copyOf(accessKeys);
    }

    /** Settings without a token check. */
    public SignalRConfig(List<String> accessKeys, boolean requireSignature, boolean validateRequests) {
        this(accessKeys, requireSignature, validateRequests, null);
    }
}
