package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code admin.*}: the admin server (SPEC §7, §12).
 *
 * @param address bind address, default {@code 127.0.0.1}
 * @param port port, default {@code 9090}; {@code 0} for any free one
 * @param token the approver token {@code admin.token}, or {@code null} when none is configured
 * @param tokens {@code admin.tokens}, in file order; empty when none
 * @param tls {@code admin.tls}: the admin port over TLS, or {@code null} for plain HTTP
 */
public record AdminConfig(String address, int port, String token, List<AdminToken> tokens, TlsConfig tls) {
    public AdminConfig {
        requireNonNull(address, "address");
        tokens = List.copyOf(requireNonNull(tokens, "tokens"));
    }

    /** Plain HTTP, with {@code admin.token} and {@code admin.tokens}. */
    public AdminConfig(String address, int port, String token, List<AdminToken> tokens) {
        this(address, port, token, tokens, null);
    }

    /** Only {@code admin.token}, as before SPEC §12. */
    public AdminConfig(String address, int port, String token) {
        this(address, port, token, List.of());
    }

    /**
     * Every token {@code /api/*} accepts: {@code admin.token} as the approver {@link AdminToken#ADMIN_NAME}
     * first, then {@code admin.tokens}; empty when none is configured (then every {@code /api/*} call is
     * refused).
     */
    public List<AdminToken> accepted() {
        final List<AdminToken> accepted = new ArrayList<>(tokens.size() + 1);
        if (token != null && !token.isEmpty()) {
            accepted.add(new AdminToken(AdminToken.ADMIN_NAME, token, AdminToken.Role.APPROVER));
        }
        accepted.addAll(tokens);
        return accepted;
    }

    @Override
    public String toString() {
        // The secrets stay out of logs and exception messages.
        return "AdminConfig[address=" + address + ", port=" + port + ", token=" + (token == null ? null : "***")
                + ", tokens=" + tokens + ", tls=" + tls + "]";
    }
}
