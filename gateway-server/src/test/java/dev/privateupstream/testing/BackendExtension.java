package dev.privateupstream.testing;

import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link RecordingBackend} for each test: {@code @RegisterExtension final BackendExtension backend = new
 * BackendExtension();}. JUnit orders {@code @RegisterExtension} fields by {@code @Order} and then by the hash
 * of their names, not by declaration, so the {@link GatewayExtension} that forwards to this backend may well
 * start first: {@link #get()} then starts the backend itself, and the order never matters.
 */
public final class BackendExtension implements BeforeEachCallback, AfterEachCallback {
    private RecordingBackend backend;

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        get();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (backend != null) {
            backend.close();
            backend = null;
        }
    }

    /** The running backend, started now when the extension that needs it came first. */
    public RecordingBackend get() {
        if (backend == null) {
            try {
                backend = RecordingBackend.start();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the backend", e);
            }
        }
        return backend;
    }

    public String url() {
        return get().url();
    }

    /** What the backend received so far, oldest first ({@link RecordingBackend#received}). */
    public List<RecordingBackend.Recorded> received() {
        return get().received();
    }
}
