package dev.privateupstream.testing;

import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link RecordingBackend} for each test: {@code @RegisterExtension final BackendExtension backend = new
 * BackendExtension();}, declared before the {@link GatewayExtension} that forwards to it (JUnit starts
 * extensions in declaration order and stops them in reverse).
 */
public final class BackendExtension implements BeforeEachCallback, AfterEachCallback {
    private RecordingBackend backend;

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        backend = RecordingBackend.start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (backend != null) {
            backend.close();
            backend = null;
        }
    }

    /** The running backend. */
    public RecordingBackend get() {
        if (backend == null) {
            throw new IllegalStateException("the backend runs only during a test");
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
