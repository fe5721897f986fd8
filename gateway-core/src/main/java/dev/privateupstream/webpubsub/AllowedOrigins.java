package dev.privateupstream.webpubsub;

import java.util.List;
import java.util.Locale;

/**
 * The answer to Web PubSub's abuse-protection handshake (SPEC §13): which of the comma-separated hosts of a
 * {@code WebHook-Request-Origin} header is allowed. Each value is trimmed and compared whole and
 * case-insensitively with {@code webpubsub.allowedOrigins}: a prefix match would let
 * {@code contoso.webpubsub.azure.com.attacker.example} through.
 */
public final class AllowedOrigins {
    private final List<String> origins;

    /** @param origins allowed hosts, lower case */
    public AllowedOrigins(List<String> origins) {
        this.origins = List.copyOf(origins);
    }

    public boolean isEmpty() {
        return origins.isEmpty();
    }

    /**
     * The first value of {@code header} that is allowed, as the caller sent it (trimmed), for
     * {@code WebHook-Allowed-Origin}; {@code null} when none is (or the header is absent).
     */
    public String match(String header) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(",", -1)) {
            final String origin = part.trim();
            if (!origin.isEmpty() && origins.contains(origin.toLowerCase(Locale.ROOT))) {
                return origin;
            }
        }
        return null;
    }
}
