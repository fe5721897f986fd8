package dev.privateupstream.identity;

/**
 * What {@link TokenVerifier#check} found in one {@code Authorization} value (SPEC §13).
 *
 * <p>The handler maps the {@link Verdict} to the answer: {@code MISSING} to {@code 401 missing-token},
 * {@code INVALID} to {@code 401 invalid-token}, {@code NOT_ALLOWED} to {@code 403 caller-not-allowed}, and
 * {@code UNKNOWN_KEY} to a key refresh and one more check. {@link #detail()} is for a DEBUG line only: it never
 * holds the token or a piece of it beyond the header's short {@code kid}, {@code alg} or {@code typ} and,
 * once the signature verified, claim values such as the issuer or audience.
 *
 * <p>Immutable. Failures without a variable part are shared constants, and a cached verdict is returned as
 * the same instance, so that the common paths allocate nothing.
 */
public final class TokenCheck {

    /** The outcome of a check. */
    public enum Verdict {
        /** The token verified and names an allowed caller. */
        VALID,
        /** No {@code Authorization} header, or an empty one. */
        MISSING,
        /** Anything else wrong: another scheme, malformed, forged, expired, for another audience... */
        INVALID,
        /** A valid token of a caller that is not in {@code allowedCallers}. */
        NOT_ALLOWED,
        /**
         * A well-formed RS256 token whose {@code kid} is not in the key set: the caller may refresh the keys
         * and check again.
         */
        UNKNOWN_KEY
    }

    static final TokenCheck MISSING = new TokenCheck(Verdict.MISSING, null, 0, "no Authorization header");

    private final Verdict verdict;
    private final String caller;
    private final long expiresAtMillis;
    private final String detail;

    private TokenCheck(Verdict verdict, String caller, long expiresAtMillis, String detail) {
        this.verdict = verdict;
        this.caller = caller;
        this.expiresAtMillis = expiresAtMillis;
        this.detail = detail;
    }

    static TokenCheck valid(String caller, long expiresAtMillis) {
        return new TokenCheck(Verdict.VALID, caller, expiresAtMillis, "valid");
    }

    static TokenCheck notAllowed(String caller, long expiresAtMillis, String detail) {
        return new TokenCheck(Verdict.NOT_ALLOWED, caller, expiresAtMillis, detail);
    }

    static TokenCheck invalid(String detail) {
        return new TokenCheck(Verdict.INVALID, null, 0, detail);
    }

    static TokenCheck unknownKey(String detail) {
        return new TokenCheck(Verdict.UNKNOWN_KEY, null, 0, detail);
    }

    public Verdict verdict() {
        return verdict;
    }

    /**
     * For {@code VALID}, the allowed caller that matched (as configured, lower case); for {@code NOT_ALLOWED},
     * the token's {@code oid}, else {@code appid}, else {@code azp}, or {@code null} when it has none that is
     * short printable text; otherwise {@code null}.
     */
    public String caller() {
        return caller;
    }

    /** The token's {@code exp} in epoch milliseconds for {@code VALID} and {@code NOT_ALLOWED}, otherwise 0. */
    public long expiresAtMillis() {
        return expiresAtMillis;
    }

    /** A short reason for a DEBUG log line, e.g. {@code "expired 120 s ago"}; never {@code null}. */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return caller == null ? verdict + ": " + detail : verdict + " (" + caller + "): " + detail;
    }
}
