package dev.privateupstream.simulator;

import java.io.IOException;

/**
 * The server closed or reset the connection before a complete response arrived, as the gateway does on a
 * framing error, a PROXY header it refuses or a backend that fails mid-response.
 */
public final class ConnectionClosedException extends IOException {

    ConnectionClosedException(String message) {
        super(message);
    }

    ConnectionClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
