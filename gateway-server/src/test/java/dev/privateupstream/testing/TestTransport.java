package dev.privateupstream.testing;

import dev.privateupstream.transport.Transport;

/**
 * The socket transport the integration tests run the gateway on: {@code auto} unless the system property
 * {@code gateway.test.transport} names another. The build runs the integration tests twice, on
 * {@code auto} (io_uring here) and on {@code epoll}, the transport {@code auto} falls back to where
 * io_uring is forbidden, so both are covered end to end.
 */
public final class TestTransport {
    private TestTransport() {
    }

    /** The transport's name, as {@code run --transport} takes it. */
    public static String name() {
        return System.getProperty("gateway.test.transport", "auto");
    }

    public static Transport chosen() {
        return Transport.select(name());
    }
}
