package dev.privateupstream.store;

/**
 * A change lost the race against other writers too many times in a row (SPEC §10: after 5 conflicts);
 * nothing was changed. The admin API answers it with {@code 409}.
 */
public final class StoreConflictException extends Exception {
    private static final long serialVersionUID = 1L;

    public StoreConflictException(String message) {
        super(message);
    }
}
