package dev.privateupstream.admin;

import static java.util.Objects.requireNonNull;

/**
 * A request body the API refuses with {@code 400}, naming the field at fault (SPEC §7).
 */
final class BadRequestException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * @param field the JSON path of the field, such as {@code properties.privateIps[0]}, or {@code (body)}
     *        when the body as a whole is wrong
     */
    BadRequestException(String field, String message) {
        super(requireNonNull(message, "message"), null, false, false);
        this.field = requireNonNull(field, "field");
    }

    String field() {
        return field;
    }

    AdminResponse response() {
        return AdminResponse.badRequest(field, getMessage());
    }
}
