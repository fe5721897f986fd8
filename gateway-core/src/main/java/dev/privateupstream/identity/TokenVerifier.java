package dev.privateupstream.identity;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import dev.privateupstream.config.IdentityConfig;
import java.text.ParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Checks the Microsoft Entra ID access token of one {@code Authorization} value against one
 * {@link IdentityConfig} (SPEC §13). Thread-safe; does no I/O: the keys come from the caller.
 *
 * <p>The rules, in order:
 * <ol>
 *   <li>No header, or an empty one: {@code MISSING}. Any other scheme than {@code Bearer} (in any case, then
 *       one or more spaces): {@code INVALID}, as the token is not ours to judge.</li>
 *   <li>A token over {@value #MAX_TOKEN_CHARS} characters (or a header value over that plus
 *       {@value #MAX_PADDING_CHARS}) is refused unread, so that a forged 100 KB token costs nothing. The token
 *       must be three unpadded base64url parts: no JWE, no unsigned ({@code alg: none}) token.</li>
 *   <li>Header: {@code alg} exactly {@code RS256}; {@code kid} present; no {@code crit} (nor {@code b64});
 *       {@code typ}, when present, {@code JWT} or {@code at+jwt} (case-insensitive, with or without
 *       {@code application/}). The algorithm and key are never taken from the token: {@code jwk},
 *       {@code jku}, {@code x5u}, {@code x5c} and {@code x5t} are ignored, the key is the configured JWKS's
 *       key of that {@code kid}, or {@code UNKNOWN_KEY}.</li>
 *   <li>The RS256 signature verifies with that key; only then are the claims read.</li>
 *   <li>Claims: {@code iss} one of the issuers; {@code aud} (a string or an array) holding one of the
 *       audiences, both compared exactly (case-sensitive: list every form the token may carry, e.g. with and
 *       without a trailing slash); {@code tid} the tenant (case-insensitive); {@code exp} present and
 *       {@code now < exp + clockSkew}; {@code nbf}, when present, {@code nbf - clockSkew <= now}.</li>
 *   <li>{@code oid}, {@code appid} or {@code azp} one of the allowed callers (case-insensitive): {@code VALID},
 *       else {@code NOT_ALLOWED}.</li>
 * </ol>
 *
 * <p>A service sends the same token for hours, so a token that got as far as the caller check is remembered by
 * its exact header value until {@code exp + clockSkew}, with the {@link KeySet} instance it verified against;
 * the same value checked against the same instance is answered from memory without parsing or RSA. Another
 * instance (the keys were refreshed) means checking again. At most {@value #MAX_CACHED_TOKENS} tokens are
 * remembered: when full, the expired ones go, and if that is not enough, all of them.
 */
public final class TokenVerifier {
    /** Entra access tokens are 1 to 3 KB; 16 KiB leaves room for many groups or roles. */
    static final int MAX_TOKEN_CHARS = 16 * 1024;
    /** Room in a header value for the scheme and spaces around the token. */
    static final int MAX_PADDING_CHARS = 64;
    static final int MAX_CACHED_TOKENS = 10_000;
    /** 9999-12-31T23:59:59Z: later {@code NumericDate}s are malformed, and times in milliseconds cannot overflow. */
    private static final long MAX_EPOCH_SECONDS = 253_402_300_799L;
    private static final long NOT_A_TIME = -1;
    /** Longer header or claim values are not echoed into {@link TokenCheck#detail()}. */
    private static final int MAX_SHOWN_CHARS = 100;
    /** The claims that may name the caller: the object id, the v1 client id, the v2 client id. */
    private static final List<String> CALLER_CLAIMS = List.of("oid", "appid", "azp");

    private static final TokenCheck NOT_BEARER = TokenCheck.invalid("not a Bearer token");
    private static final TokenCheck NO_TOKEN = TokenCheck.invalid("Bearer without a token");
    private static final TokenCheck TOO_LONG =
            TokenCheck.invalid("token longer than " + MAX_TOKEN_CHARS + " characters");
    private static final TokenCheck NOT_BASE64URL =
            TokenCheck.invalid("token has characters outside unpadded base64url and '.'");
    private static final TokenCheck ENCRYPTED = TokenCheck.invalid("token is a JWE (5 parts), not a JWS");
    private static final TokenCheck NOT_THREE_PARTS = TokenCheck.invalid("token is not 3 parts separated by '.'");
    private static final TokenCheck EMPTY_PART = TokenCheck.invalid("token has an empty header or payload");
    private static final TokenCheck UNSIGNED = TokenCheck.invalid("token is unsigned (empty signature)");
    private static final TokenCheck NOT_JWS = TokenCheck.invalid("header is not a JWS header");
    private static final TokenCheck CRIT = TokenCheck.invalid("header has crit: no extension is understood");
    private static final TokenCheck UNENCODED = TokenCheck.invalid("header has b64: false");
    private static final TokenCheck NO_KID = TokenCheck.invalid("header has no kid");
    private static final TokenCheck BAD_SIGNATURE = TokenCheck.invalid("signature does not verify");
    private static final TokenCheck NOT_CLAIMS = TokenCheck.invalid("payload is not a JSON object");
    private static final TokenCheck NO_EXP = TokenCheck.invalid("no exp claim");
    private static final TokenCheck BAD_EXP = TokenCheck.invalid("exp is not a NumericDate");
    private static final TokenCheck BAD_NBF = TokenCheck.invalid("nbf is not a NumericDate");
    private static final TokenCheck NO_ISSUER = TokenCheck.invalid("no iss claim");
    private static final TokenCheck NO_AUDIENCE = TokenCheck.invalid("no aud claim");
    private static final TokenCheck NO_TENANT = TokenCheck.invalid("no tid claim");

    private final IdentityConfig config;
    private final LongSupplier clockMillis;
    private final long skewMillis;
    private final int maxCachedTokens;
    /** Keyed by the whole header value: it holds the token, and a hit then needs no substring. */
    private final ConcurrentHashMap<String, Verified> verified = new ConcurrentHashMap<>();

    /** A token that verified, the key set it verified against, and until when the answer holds. */
    private record Verified(KeySet keys, TokenCheck check, long usableUntilMillis) {
    }

    public TokenVerifier(IdentityConfig config) {
        this(config, System::currentTimeMillis);
    }

    /** For tests: {@code clockMillis} is the time in epoch milliseconds. */
    public TokenVerifier(IdentityConfig config, LongSupplier clockMillis) {
        this(config, clockMillis, MAX_CACHED_TOKENS);
    }

    /** For tests of the cache bound. */
    TokenVerifier(IdentityConfig config, LongSupplier clockMillis, int maxCachedTokens) {
        this.config = requireNonNull(config, "config");
        this.clockMillis = requireNonNull(clockMillis, "clockMillis");
        this.skewMillis = config.clockSkew().toMillis();
        this.maxCachedTokens = maxCachedTokens;
    }

    /**
     * Checks one {@code Authorization} value. Never throws for any input: what cannot be read is
     * {@code INVALID}.
     *
     * @param authorization the single {@code Authorization} header value, {@code null} when absent (two such
     *        headers are the caller's to refuse)
     * @param keys the signing keys in force; an empty set makes every well-formed token {@code UNKNOWN_KEY}
     */
    public TokenCheck check(String authorization, KeySet keys) {
        requireNonNull(keys, "keys");
        if (authorization == null) {
            return TokenCheck.MISSING;
        }
        int start = 0;
        int end = authorization.length();
        while (start < end && isWhitespace(authorization.charAt(start))) {
            start++;
        }
        while (end > start && isWhitespace(authorization.charAt(end - 1))) {
            end--;
        }
        if (start == end) {
            return TokenCheck.MISSING;
        }
        if (end - start > MAX_TOKEN_CHARS + MAX_PADDING_CHARS) {
            return TOO_LONG;
        }
        if (!authorization.regionMatches(true, start, "Bearer", 0, 6)) {
            return NOT_BEARER;
        }
        if (end - start == 6) {
            return NO_TOKEN;
        }
        if (authorization.charAt(start + 6) != ' ') {
            return NOT_BEARER;
        }
        int tokenStart = start + 7;
        while (tokenStart < end && authorization.charAt(tokenStart) == ' ') {
            tokenStart++;
        }
        if (tokenStart == end) {
            return NO_TOKEN;
        }
        if (end - tokenStart > MAX_TOKEN_CHARS) {
            return TOO_LONG;
        }
        final Verified hit = verified.get(authorization);
        if (hit != null && hit.keys == keys) {
            final long now = clockMillis.getAsLong();
            if (now < hit.usableUntilMillis) {
                return hit.check;
            }
            verified.remove(authorization, hit);
            return expired(now, hit.check.expiresAtMillis());
        }
        try {
            return verify(authorization, authorization.substring(tokenStart, end), keys);
        } catch (RuntimeException unexpected) {
            // Fail closed: a parser surprise on hostile input is a bad token, not a 500.
            return TokenCheck.invalid("token could not be read (" + unexpected.getClass().getSimpleName() + ')');
        }
    }

    private TokenCheck verify(String authorization, String token, KeySet keys) {
        final TokenCheck shape = checkShape(token);
        if (shape != null) {
            return shape;
        }
        final JWSObject jws;
        try {
            jws = JWSObject.parse(token);
        } catch (ParseException e) {
            return NOT_JWS;
        }
        final JWSHeader header = jws.getHeader();
        if (!JWSAlgorithm.RS256.equals(header.getAlgorithm())) {
            return TokenCheck.invalid(
                    "alg " + shown(String.valueOf(header.getAlgorithm())) + " not accepted (RS256 only)");
        }
        if (header.getCriticalParams() != null) {
            return CRIT;
        }
        if (!header.isBase64URLEncodePayload()) {
            return UNENCODED;
        }
        final JOSEObjectType type = header.getType();
        if (type != null && !isJwtType(type.getType())) {
            return TokenCheck.invalid("typ " + shown(type.getType()) + " not accepted (JWT or at+jwt)");
        }
        final String kid = header.getKeyID();
        if (kid == null || kid.isEmpty()) {
            return NO_KID;
        }
        final JWSVerifier verifier = keys.verifier(kid);
        if (verifier == null) {
            return TokenCheck.unknownKey("kid " + shown(kid) + " not in the key set");
        }
        try {
            if (!verifier.verify(header, jws.getSigningInput(), jws.getSignature())) {
                return BAD_SIGNATURE;
            }
        } catch (JOSEException e) {
            return BAD_SIGNATURE;
        }
        final Map<String, Object> claims = jws.getPayload().toJSONObject();
        if (claims == null) {
            return NOT_CLAIMS;
        }
        return checkClaims(authorization, claims, keys);
    }

    /** Refuses what is not three unpadded base64url parts before any decoding; {@code null} when fine. */
    private static TokenCheck checkShape(String token) {
        int dots = 0;
        int firstDot = -1;
        int secondDot = -1;
        for (int i = 0; i < token.length(); i++) {
            final char c = token.charAt(i);
            if (c == '.') {
                dots++;
                if (dots == 1) {
                    firstDot = i;
                } else if (dots == 2) {
                    secondDot = i;
                }
            } else if (!isBase64Url(c)) {
                return NOT_BASE64URL;
            }
        }
        if (dots != 2) {
            return dots == 4 ? ENCRYPTED : NOT_THREE_PARTS;
        }
        if (firstDot == 0 || secondDot == firstDot + 1) {
            return EMPTY_PART;
        }
        return secondDot == token.length() - 1 ? UNSIGNED : null;
    }

    private TokenCheck checkClaims(String authorization, Map<String, Object> claims, KeySet keys) {
        final Object issuer = claims.get("iss");
        if (issuer == null) {
            return NO_ISSUER;
        }
        if (!(issuer instanceof String) || !config.issuers().contains(issuer)) {
            return TokenCheck.invalid("issuer " + shownClaim(issuer) + " not accepted");
        }
        final Object audience = claims.get("aud");
        if (audience == null) {
            return NO_AUDIENCE;
        }
        if (!hasAcceptedAudience(audience)) {
            return TokenCheck.invalid("audience " + shownClaim(audience) + " not accepted");
        }
        final Object tenant = claims.get("tid");
        if (tenant == null) {
            return NO_TENANT;
        }
        if (!(tenant instanceof String) || !config.tenantId().equalsIgnoreCase((String) tenant)) {
            return TokenCheck.invalid("tenant " + shownClaim(tenant) + " not accepted");
        }
        final Object exp = claims.get("exp");
        if (exp == null) {
            return NO_EXP;
        }
        final long expSeconds = epochSeconds(exp);
        if (expSeconds == NOT_A_TIME) {
            return BAD_EXP;
        }
        final long now = clockMillis.getAsLong();
        final long expMillis = expSeconds * 1000;
        if (now >= expMillis + skewMillis) {
            return expired(now, expMillis);
        }
        final Object nbf = claims.get("nbf");
        if (nbf != null) {
            final long nbfSeconds = epochSeconds(nbf);
            if (nbfSeconds == NOT_A_TIME) {
                return BAD_NBF;
            }
            final long nbfMillis = nbfSeconds * 1000;
            if (nbfMillis - skewMillis > now) {
                return TokenCheck.invalid("not valid for another " + (nbfMillis - now) / 1000 + " s (nbf)");
            }
        }
        final TokenCheck verdict = checkCaller(claims, expMillis);
        remember(authorization, new Verified(keys, verdict, expMillis + skewMillis), now);
        return verdict;
    }

    private boolean hasAcceptedAudience(Object audience) {
        if (audience instanceof String) {
            return config.audiences().contains(audience);
        }
        if (audience instanceof List) {
            for (Object one : (List<?>) audience) {
                if (one instanceof String && config.audiences().contains(one)) {
                    return true;
                }
            }
        }
        return false;
    }

    private TokenCheck checkCaller(Map<String, Object> claims, long expMillis) {
        for (String claim : CALLER_CLAIMS) {
            final Object value = claims.get(claim);
            if (value instanceof String) {
                for (String allowed : config.allowedCallers()) {
                    if (allowed.equalsIgnoreCase((String) value)) {
                        return TokenCheck.valid(allowed, expMillis);
                    }
                }
            }
        }
        for (String claim : CALLER_CLAIMS) {
            final Object value = claims.get(claim);
            if (value instanceof String && isShowable((String) value)) {
                return TokenCheck.notAllowed((String) value, expMillis,
                        claim + ' ' + value + " is not an allowed caller");
            }
        }
        return TokenCheck.notAllowed(null, expMillis, "no oid, appid or azp names an allowed caller");
    }

    private void remember(String authorization, Verified entry, long now) {
        if (verified.size() >= maxCachedTokens && !verified.containsKey(authorization)) {
            verified.values().removeIf(old -> old.usableUntilMillis <= now);
            if (verified.size() >= maxCachedTokens) {
                verified.clear();
            }
        }
        verified.put(authorization, entry);
    }

    /** How many tokens are remembered; for tests. */
    int cachedTokens() {
        return verified.size();
    }

    private static TokenCheck expired(long now, long expMillis) {
        return TokenCheck.invalid("expired " + (now - expMillis) / 1000 + " s ago");
    }

    /** Whole epoch seconds of a {@code NumericDate} claim (RFC 7519 §2), or {@link #NOT_A_TIME}. */
    private static long epochSeconds(Object value) {
        final double seconds;
        if (value instanceof Long || value instanceof Integer) {
            final long whole = ((Number) value).longValue();
            return whole < 0 || whole > MAX_EPOCH_SECONDS ? NOT_A_TIME : whole;
        } else if (value instanceof Number) {
            seconds = Math.floor(((Number) value).doubleValue());
        } else {
            return NOT_A_TIME;
        }
        return seconds >= 0 && seconds <= MAX_EPOCH_SECONDS ? (long) seconds : NOT_A_TIME;
    }

    /** RFC 7515 §4.1.9: a {@code typ} without '/' means {@code application/} followed by it. */
    private static boolean isJwtType(String type) {
        final String subtype = type.regionMatches(true, 0, "application/", 0, 12) ? type.substring(12) : type;
        return subtype.equalsIgnoreCase("JWT") || subtype.equalsIgnoreCase("at+jwt");
    }

    private static boolean isBase64Url(char c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }

    /** A short printable value may go into a log line; others are described, never copied. */
    private static String shown(String value) {
        return isShowable(value) ? value : "(" + value.length() + " characters, not shown)";
    }

    private static String shownClaim(Object value) {
        if (value instanceof String) {
            return shown((String) value);
        }
        if (value instanceof List && ((List<?>) value).size() == 1 && ((List<?>) value).get(0) instanceof String) {
            return shown((String) ((List<?>) value).get(0));
        }
        return value instanceof List ? "(an array of " + ((List<?>) value).size() + ")" : "(not a string)";
    }

    private static boolean isShowable(String value) {
        if (value.isEmpty() || value.length() > MAX_SHOWN_CHARS) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }
}
