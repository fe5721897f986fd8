package dev.privateupstream.store;

import static java.util.Objects.requireNonNull;

/**
 * A field of an endpoint's JSON that cannot be taken: the admin API answers it with {@code 400} naming the
 * field (SPEC §7); the etcd store refuses the key that holds it (SPEC §10).
 */
public final class InvalidFieldException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * @param field the JSON path of the field, such as {@code properties.privateIps[0]}, or {@code (body)}
     *        when the document as a whole is wrong
     */
    public InvalidFieldException(String field, String message) {
        super(requireNonNull(message, "message"), null, false, false);
        this.field = requireNonNull(field, "field");
    }

    public String field() {
        return field;
    }
}
