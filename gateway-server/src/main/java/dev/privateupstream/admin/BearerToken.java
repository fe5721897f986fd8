package dev.privateupstream.admin;

import dev.privateupstream.config.AdminToken;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;

/**
 * The check of {@code Authorization: Bearer TOKEN} against {@code admin.token} and {@code admin.tokens}
 * (SPEC §7, §12).
 *
 * <p>The comparison takes the same time wherever the first wrong character is, so a token cannot be
 * guessed one character at a time by timing; both sides are hashed first so that not even its length
 * shows, and every configured token is compared, so neither does which one matched.
 */
final class BearerToken {
    private static final String SCHEME = "bearer";

    /** What the check found; each refusal has its wire text for the API's JSON and the page's banner. */
    enum Verdict {
        ACCEPTED(null, null),
        NOT_CONFIGURED("token-not-configured", "no admin token is configured (admin.token or admin.tokens): the "
                + "API refuses every call until one is set"),
        MISSING("token-missing", "this API needs the header Authorization: Bearer <admin.token>"),
        REJECTED("token-rejected", "the bearer token does not match admin.token nor any of admin.tokens");

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
     * What a request's token amounts to.
     *
     * @param token the configured token it presented when {@link Verdict#ACCEPTED}, else {@code null}
     */
    record Match(Verdict verdict, AdminToken token) {
    }

    /** Like {@link #match} with {@code admin.token} only. */
    static Verdict check(String configured, String authorization) {
        final List<AdminToken> tokens = configured == null || configured.isEmpty() ? List.of()
                : List.of(new AdminToken(AdminToken.ADMIN_NAME, configured, AdminToken.Role.APPROVER));
        return match(tokens, authorization).verdict();
    }

    /**
     * @param configured every token in force ({@link dev.privateupstream.config.AdminConfig#accepted()})
     * @param authorization the request's {@code Authorization} header, or {@code null}
     */
    static Match match(List<AdminToken> configured, String authorization) {
        if (configured.isEmpty()) {
            return new Match(Verdict.NOT_CONFIGURED, null);
        }
        if (authorization == null || authorization.isBlank()) {
            return new Match(Verdict.MISSING, null);
        }
        final String header = authorization.strip();
        final int space = header.indexOf(' ');
        // RFC 7235: the scheme is case-insensitive.
        if (space < 0 || !header.substring(0, space).toLowerCase(Locale.ROOT).equals(SCHEME)) {
            return new Match(Verdict.MISSING, null);
        }
        final byte[] presented = sha256(header.substring(space + 1).strip());
        AdminToken matched = null;
        for (AdminToken token : configured) {
            // No early exit: the time taken does not tell which token, if any, matched.
            if (MessageDigest.isEqual(sha256(token.token()), presented) && matched == null) {
                matched = token;
            }
        }
        return matched != null ? new Match(Verdict.ACCEPTED, matched) : new Match(Verdict.REJECTED, null);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
