package dev.privateupstream.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for servers a test starts on a fixed port (an etcd member, a gateway process restarted on the same
 * port, a configuration that names its port): below Linux's ephemeral range (32768 and up), so no client
 * socket of this machine can take one between the test choosing it and the server binding it, and never the
 * same one twice in this JVM, so a stopped server's port stays its own for its restart.
 */
public final class FreePorts {
    private static final int FIRST_PORT = 20000;
    private static final int PORT_RANGE = 12000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /** A port free on every address now (the wildcard bind checks them all). */
    public static int next() {
        final Set<Integer> tried = new HashSet<>();
        while (tried.size() < 1000) {
            final int port = FIRST_PORT + ThreadLocalRandom.current().nextInt(PORT_RANGE);
            if (!tried.add(port) || HANDED_OUT.contains(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(port));
            } catch (IOException e) {
                continue;
            }
            if (HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port found between " + FIRST_PORT + " and "
                + (FIRST_PORT + PORT_RANGE));
    }
}
