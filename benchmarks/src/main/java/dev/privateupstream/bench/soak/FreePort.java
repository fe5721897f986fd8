package dev.privateupstream.bench.soak;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Prints a free loopback port, for benchmarks/soak.sh. */
public final class FreePort {
    private FreePort() {
    }

    public static void main(String[] args) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            System.out.println(s.getLocalPort());
        }
    }
}
