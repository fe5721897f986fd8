package dev.privateupstream.identity;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.IdentityConfig;

/**
 * Everything that verifies the tokens of one {@code identity} configuration: its claim rules and the key
 * set of its JWKS URL, which configurations naming the same URL share.
 *
 * @param config the settings it verifies by
 * @param tokens the verifier of the token's signature and claims, with its cache of verified tokens
 * @param keys the signing keys, kept current off the event loops
 */
public record IdentityVerifier(IdentityConfig config, TokenVerifier tokens, KeySetSource keys) {
    public IdentityVerifier {
        requireNonNull(config, "config");
        requireNonNull(tokens, "tokens");
        requireNonNull(keys, "keys");
    }
}
