package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The endpoints file cannot be changed because it or its folder is read-only (a read-only mount, a
 * ConfigMap, file permissions). The admin API answers {@code 409}: the request was fine, the deployment
 * does not allow changes.
 */
public final class ReadOnlyEndpointsFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    /**
     * @param path the endpoints file
     * @param reason what is read-only, for example {@code the file is read-only}
     */
    public ReadOnlyEndpointsFileException(Path path, String reason) {
        super("the endpoints file " + requireNonNull(path, "path") + " cannot be changed: "
                + requireNonNull(reason, "reason") + " (expected: a writable file in a writable folder)");
        this.path = path;
    }

    /** The endpoints file that could not be written. */
    public Path path() {
        return path;
    }
}
