package dev.privateupstream.config;

import java.util.List;

/**
 * {@code webpubsub.*}: the checks on calls to upstreams with {@code protocol: webpubsub} (SPEC §13).
 *
 * @param accessKeys the access keys a valid {@code ce-signature} may be made with
 * @param requireSignature refuse calls without a valid {@code ce-signature}
 * @param validateRequests refuse calls that are not well-formed CloudEvents event-handler calls
 * @param allowedOrigins the {@code WebHook-Request-Origin} hosts the gateway answers abuse protection for,
 *        lower case; empty: abuse protection is forwarded to the backend
 * @param identity the token check, or {@code null} when no token is required
 */
public record WebPubSubConfig(
        List<String> accessKeys,
        boolean requireSignature,
        boolean validateRequests,
        List<String> allowedOrigins,
        IdentityConfig identity) {

    public WebPubSubConfig {
        accessKeys = List.copyOf(accessKeys);
        allowedOrigins = List.copyOf(allowedOrigins);
    }
}
