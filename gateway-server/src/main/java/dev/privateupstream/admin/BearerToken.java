package dev.privateupstream.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * The check of {@code Authorization: Bearer TOKEN} against {@code admin.token} (SPEC §7).
 *
 * <p>The comparison takes the same time wherever the first wrong character is, so the token cannot be
 * guessed one character at a time by timing; both sides are hashed first so that not even its length
 * shows.
 */
final class BearerToken {
    private static final String SCHEME = "bearer";

    /** What the check found; each refusal has its wire text for the API's JSON and the page's banner. */
    enum Verdict {
        ACCEPTED(null, null),
        NOT_CONFIGURED("token-not-configured", "no admin token is configured (admin.token): the API refuses every "
                + "call until one is set"),
        MISSING("token-missing", "this API needs the header Authorization: Bearer <admin.token>"),
        REJECTED("token-rejected", "the bearer token does not match admin.token");

        private final String reason;
        private final String message;

        Verdict(String reason, String message) {
            this.reason = reason;
            this.message = message;
        }

        String reason() {
            return reason;
        }

        String message() {
            return message;
        }
    }

    private BearerToken() {
    }

    /**
     * @param configured {@code admin.token} in force, or {@code null} when none is configured
     * @param authorization the request's {@code Authorization} header, or {@code null}
     */
    static Verdict check(String configured, String authorization) {
        if (configured == null || configured.isEmpty()) {
            return Verdict.NOT_CONFIGURED;
        }
        if (authorization == null || authorization.isBlank()) {
            return Verdict.MISSING;
        }
        final String header = authorization.strip();
        final int space = header.indexOf(' ');
        // RFC 7235: the scheme is case-insensitive.
        if (space < 0 || !header.substring(0, space).toLowerCase(Locale.ROOT).equals(SCHEME)) {
            return Verdict.MISSING;
        }
        final String presented = header.substring(space + 1).strip();
        return MessageDigest.isEqual(sha256(configured), sha256(presented)) ? Verdict.ACCEPTED : Verdict.REJECTED;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
