package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The {@code skipToken} of {@code GET /api/shared-private-endpoints} (SPEC §12): the name of the last endpoint
 * a page answered, so the next page starts after that name whatever was added or removed in between.
 *
 * <p>Opaque to clients: a version prefix, then the name's UTF-8 bytes in unpadded base64url, so that it needs
 * no escaping in a query and a later version can carry more.
 */
final class SkipToken {
    private static final String VERSION = "1.";
    /** Longer tokens are not ours: names are short, and a client must not make the server decode megabytes. */
    static final int MAX_LENGTH = 1024;

    private SkipToken() {
    }

    /** The token that continues after {@code lastName}. */
    static String encode(String lastName) {
        requireNonNull(lastName, "lastName");
        return VERSION + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(lastName.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The name a token continues after.
     *
     * @throws IllegalArgumentException when the token is not one {@link #encode} made: another version, not
     *         base64url, not UTF-8, or empty
     */
    static String decode(String token) {
        requireNonNull(token, "token");
        if (token.length() > MAX_LENGTH || !token.startsWith(VERSION) || token.length() == VERSION.length()) {
            throw garbled();
        }
        final byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(token.substring(VERSION.length()));
        } catch (IllegalArgumentException e) {
            throw garbled();
        }
        try {
            final String name = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            // Only what encode makes: the same text again (no padding, no stray bits in the last character).
            if (!encode(name).equals(token)) {
                throw garbled();
            }
            return name;
        } catch (CharacterCodingException e) {
            throw garbled();
        }
    }

    private static IllegalArgumentException garbled() {
        return new IllegalArgumentException("not a skipToken this server gave (expected: the skipToken of the "
                + "previous answer's nextLink, unchanged)");
    }
}
