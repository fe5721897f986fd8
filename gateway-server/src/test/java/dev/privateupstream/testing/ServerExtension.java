package dev.privateupstream.testing;

import static java.util.Objects.requireNonNull;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A backend of another kind than a {@link RecordingBackend} for each test (a {@link FaultyBackend}, the
 * simulator's Functions backend), started by {@code starter} before the test and closed after it:
 *
 * <pre>{@code
 * @RegisterExtension final ServerExtension<FaultyBackend> backend =
 *         new ServerExtension<>(() -> FaultyBackend.start(echo));
 * @RegisterExtension final GatewayExtension gateway = GatewayExtension.standard(() -> backend.get().url(), "");
 * }</pre>
 *
 * <p>Whatever order JUnit gives the extensions, {@link #get()} starts the server when the extension that needs
 * it comes first (see {@link BackendExtension}).
 */
public final class ServerExtension<T extends AutoCloseable> implements BeforeEachCallback, AfterEachCallback {
    /** Starts the server; checked exceptions allowed, since the servers' own {@code start} methods throw them. */
    @FunctionalInterface
    public interface Starter<T> {
        T start() throws Exception;
    }

    private final Starter<T> starter;
    private T server;

    public ServerExtension(Starter<T> starter) {
        this.starter = requireNonNull(starter, "starter");
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        get();
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        final T running = server;
        server = null;
        if (running != null) {
            running.close();
        }
    }

    /** The running server, started now when the extension that needs it came first. */
    public T get() {
        if (server == null) {
            try {
                server = starter.start();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("the server did not start: " + e, e);
            }
        }
        return server;
    }
}
