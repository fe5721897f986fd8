package dev.privateupstream.testing;

import dev.privateupstream.transport.Transport;
import java.nio.file.Path;

/**
 * A {@link RecordingBackend} and a gateway with the standard endpoints in front of it
 * ({@link TestGateway#standard}), closed together: for try-with-resources in a test.
 */
public record StandardRig(RecordingBackend backend, TestGateway gateway) implements AutoCloseable {
    public static StandardRig start(Path dir, Transport transport) throws Exception {
        final RecordingBackend backend = RecordingBackend.start();
        try {
            return new StandardRig(backend, TestGateway.standard(dir, backend, "", transport));
        } catch (Exception | Error e) {
            backend.close();
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        try (backend) {
            gateway.close();
        }
    }
}
