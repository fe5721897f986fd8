package dev.privateupstream.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A separate process that holds many idle connections to a gateway, so that the gateway's process alone
 * carries their descriptors: {@code IdleConnectionsClient PORT COUNT}. Connections come from
 * {@code 127.1.x.y} sources, a hundred per address, so no source runs out of ephemeral ports. Prints
 * {@code OPEN n} once all are connected, closes them all on a line {@code close} on standard input, prints
 * {@code CLOSED} and exits.
 */
public final class IdleConnectionsClient {
    private static final int PER_SOURCE = 100;

    private IdleConnectionsClient() {
    }

    public static void main(String[] args) throws IOException {
        final int port = Integer.parseInt(args[0]);
        final int count = Integer.parseInt(args[1]);
        final List<Socket> sockets = new ArrayList<>(count);
        final InetSocketAddress gateway = new InetSocketAddress("127.0.0.1", port);
        try {
            for (int i = 0; i < count; i++) {
                final int source = i / PER_SOURCE;
                final Socket s = new Socket();
                s.bind(new InetSocketAddress(InetAddress.getByAddress(
                        new byte[] {127, 1, (byte) (source >> 8), (byte) (1 + (source & 0xff))}), 0));
                s.connect(gateway, 10_000);
                sockets.add(s);
            }
            System.out.println("OPEN " + sockets.size());
            System.out.flush();
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("close")) {
                // wait for the word
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        System.out.println("CLOSED");
        System.out.flush();
    }
}
