package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * One entry of {@code admin.tokens} (SPEC §12), or {@code admin.token} seen as the approver {@code admin}.
 *
 * @param name who holds the token: the {@code actor} of the audit records its changes write
 * @param token the bearer secret
 * @param role what the token may do
 */
public record AdminToken(String name, String token, Role role) {
    /** The name {@code admin.token} acts under. */
    public static final String ADMIN_NAME = "admin";

    public AdminToken {
        requireNonNull(name, "name");
        requireNonNull(token, "token");
        requireNonNull(role, "role");
    }

    @Override
    public String toString() {
        // The secret stays out of logs and exception messages.
        return "AdminToken[name=" + name + ", role=" + role.wireName() + "]";
    }

    /** What a token may do with {@code /api/*}. */
    public enum Role {
        /** Every {@code GET}; no change. */
        READER,
        /** Reads and changes. */
        APPROVER;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Role parse(String text) {
            for (Role role : values()) {
                if (role.wireName().equals(text)) {
                    return role;
                }
            }
            throw new IllegalArgumentException("'" + text + "' (expected: reader or approver)");
        }
    }
}
