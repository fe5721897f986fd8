package dev.privateupstream.bench.scale;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A process apart that holds idle connections to a gateway, as {@code IdleConnectionsIT}'s client does:
 * {@code IdleClients PORT COUNT FIRST_SOURCE PER_SOURCE STOP_FILE}. Connection {@code i} comes from
 * {@code 127.0.0.(FIRST_SOURCE + i / PER_SOURCE)} and sends nothing. Prints {@code OPEN n} once all are
 * connected, holds them until {@code STOP_FILE} exists (or for at most ten minutes), closes them, prints
 * {@code CLOSED} and exits. One process may hold fewer descriptors than the machine's limit ({@code ulimit
 * -Hn}): {@link IdleBench} starts as many as it needs.
 */
public final class IdleClients {
    private static final long MAX_HOLD_NANOS = TimeUnit.MINUTES.toNanos(10);

    private IdleClients() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        final int port = Integer.parseInt(args[0]);
        final int count = Integer.parseInt(args[1]);
        final int firstSource = Integer.parseInt(args[2]);
        final int perSource = Integer.parseInt(args[3]);
        final Path stop = Path.of(args[4]);
        final InetSocketAddress gateway = new InetSocketAddress("127.0.0.1", port);
        final List<Socket> sockets = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                final int source = firstSource + i / perSource;
                if (source > 254) {
                    throw new IllegalArgumentException("source 127.0.0." + source + " (expected at most .254)");
                }
                final Socket s = new Socket();
                s.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) source}), 0));
                s.connect(gateway, 10_000);
                sockets.add(s);
            }
            System.out.println("OPEN " + sockets.size());
            System.out.flush();
            final long deadline = System.nanoTime() + MAX_HOLD_NANOS;
            while (!Files.exists(stop) && System.nanoTime() < deadline) {
                Thread.sleep(50);
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
