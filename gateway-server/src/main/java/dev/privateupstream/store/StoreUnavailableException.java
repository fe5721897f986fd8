package dev.privateupstream.store;

/**
 * The store did not answer within its timeout, or has no quorum (SPEC §10): nothing was changed. The admin
 * API answers it with {@code 503 store-unavailable}.
 */
public final class StoreUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
