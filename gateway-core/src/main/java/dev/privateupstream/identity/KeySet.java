package dev.privateupstream.identity;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.text.ParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The signing keys of one fetched JWKS document (SPEC §13), each with its RS256 verifier built once.
 *
 * <p>Only keys a token can be checked with are kept: RSA public keys with a {@code kid}, meant for signatures
 * ({@code use} absent or {@code sig}, {@code key_ops} absent or naming {@code verify}), for RS256 ({@code alg}
 * absent or {@code RS256}), with a modulus of at least 2048 bits. Other entries (encryption keys, EC keys,
 * entries Nimbus cannot read) are skipped rather than failing the document, so that one odd key does not cost
 * the gateway all the others. When two keys share a {@code kid}, the first usable one is kept.
 *
 * <p>Immutable. Instances have identity semantics on purpose: {@link TokenVerifier} answers from its cache
 * only for the very instance a token was verified against, so a refreshed set means checking again.
 */
public final class KeySet {
    /** Smaller RSA keys are refused, as NIST SP 800-131A does for signatures since 2014. */
    static final int MIN_MODULUS_BITS = 2048;

    private static final KeySet EMPTY = new KeySet(Map.of());

    private final Map<String, JWSVerifier> verifiers;

    private KeySet(Map<String, JWSVerifier> verifiers) {
        this.verifiers = verifiers;
    }

    /**
     * Reads a JWKS document ({@code {"keys": [...]}}) and keeps its RS256 signing keys.
     *
     * @return the usable keys; possibly none, which the caller may treat as a failed fetch
     * @throws IllegalArgumentException when {@code json} is not a JSON object with a {@code keys} array
     */
    public static KeySet parse(String json) {
        requireNonNull(json, "json");
        final Map<String, Object> document;
        try {
            document = JSONObjectUtils.parse(json);
        } catch (ParseException e) {
            throw new IllegalArgumentException(
                    "not a JWK set: expected a JSON object with a \"keys\" array (" + e.getMessage() + ')', e);
        }
        if (document == null) {
            throw new IllegalArgumentException("not a JWK set: expected a JSON object with a \"keys\" array, found "
                    + (json.isBlank() ? "an empty document" : "null"));
        }
        final Object keys = document.get("keys");
        if (!(keys instanceof List)) {
            throw new IllegalArgumentException("not a JWK set: expected a \"keys\" array, found "
                    + (keys == null ? "no \"keys\" member" : keys.getClass().getSimpleName()));
        }
        final Map<String, JWSVerifier> verifiers = new LinkedHashMap<>();
        for (Object entry : (List<?>) keys) {
            final RSAKey key = signingKey(entry);
            if (key == null || verifiers.containsKey(key.getKeyID())) {
                continue;
            }
            try {
                verifiers.put(key.getKeyID(), new RSASSAVerifier(key.toRSAPublicKey()));
            } catch (JOSEException unusable) {
                // The modulus or exponent does not make an RSA public key: skip it like any other odd entry.
            }
        }
        return new KeySet(Collections.unmodifiableMap(verifiers));
    }

    /** No keys: what a source holds before its first fetch, for callers that want no {@code null}. */
    public static KeySet empty() {
        return EMPTY;
    }

    /** A set over given verifiers, so that tests can observe verification. */
    static KeySet of(Map<String, ? extends JWSVerifier> verifiers) {
        return new KeySet(Collections.unmodifiableMap(new LinkedHashMap<>(verifiers)));
    }

    @SuppressWarnings("unchecked")
    private static RSAKey signingKey(Object entry) {
        if (!(entry instanceof Map)) {
            return null;
        }
        final JWK jwk;
        try {
            jwk = JWK.parse((Map<String, Object>) entry);
        } catch (ParseException | RuntimeException unreadable) {
            return null;
        }
        if (!(jwk instanceof RSAKey)) {
            return null;
        }
        final String kid = jwk.getKeyID();
        final boolean forSignatures = jwk.getKeyUse() == null || KeyUse.SIGNATURE.equals(jwk.getKeyUse());
        final boolean forVerifying = jwk.getKeyOperations() == null
                || jwk.getKeyOperations().contains(KeyOperation.VERIFY);
        final boolean forRs256 = jwk.getAlgorithm() == null || JWSAlgorithm.RS256.equals(jwk.getAlgorithm());
        if (kid == null || kid.isEmpty() || !forSignatures || !forVerifying || !forRs256
                || jwk.size() < MIN_MODULUS_BITS) {
            return null;
        }
        return (RSAKey) jwk;
    }

    /** Whether a key with this {@code kid} is in the set. */
    public boolean contains(String kid) {
        return verifiers.containsKey(kid);
    }

    /** How many usable keys the set holds. */
    public int size() {
        return verifiers.size();
    }

    /** The key ids, in document order; unmodifiable. Safe to log: kids are public. */
    public Set<String> kids() {
        return verifiers.keySet();
    }

    /** The RS256 verifier of the key {@code kid}, or {@code null}; shared across threads. */
    JWSVerifier verifier(String kid) {
        return verifiers.get(kid);
    }

    @Override
    public String toString() {
        return "KeySet" + verifiers.keySet();
    }
}
