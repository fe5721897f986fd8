package dev.privateupstream.bench.scale;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

/**
 * Idle client connections held by a gateway process, and what each costs it (issue 18: "50,000 concurrent
 * idle client connections held (the clients in a process apart) with the heap per connection reported"):
 * {@code IdleBench GATEWAY_PID PROXY_PORT ADMIN_PORT SIZES PER_PROCESS CSV}.
 *
 * <p>For each size N: the gateway's open descriptors, used heap after two full collections
 * ({@code jcmd GC.run}), Netty's pooled direct memory and RSS; then N connections from {@link IdleClients}
 * processes of at most {@code PER_PROCESS} each (a process here may hold at most {@code ulimit -Hn}
 * descriptors), a thousand per source address from {@code 127.0.0.2} on, sending nothing; once the gateway
 * holds them all, the same figures again and one request on a fresh connection (served meanwhile); then
 * the clients close and the gateway must give the descriptors back. Prints a Markdown table and appends
 * CSV rows.
 */
public final class IdleBench {
    private static final int PER_SOURCE = 1000;
    private static final long AWAIT_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int SLACK = 8;

    private IdleBench() {
    }

    public static void main(String[] args) throws Exception {
        final long pid = Long.parseLong(args[0]);
        final int port = Integer.parseInt(args[1]);
        final GatewayProcess gateway = new GatewayProcess(pid, Integer.parseInt(args[2]));
        final int[] sizes = Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray();
        final int perProcess = Integer.parseInt(args[4]) / PER_SOURCE * PER_SOURCE;
        final Path csv = Path.of(args[5]);
        if (!Files.exists(csv)) {
            Files.writeString(csv, "connections,fds_held,heap_before,heap_held,heap_after,heap_per_connection,"
                    + "direct_before,direct_held,rss_before,rss_held,served_status\n");
        }
        System.out.println("(first request: " + request(port) + ")");
        // One round at the largest size first, not reported: the first connections create state that stays
        // (classes, Netty's caches, tables grown to the peak), which would otherwise be charged to the first
        // size as if it were per connection. Both baselines are printed.
        final long cold = gateway.heapAfterFullGc();
        final int peak = Arrays.stream(sizes).max().orElseThrow();
        final Held first = hold(gateway, port, peak, perProcess);
        System.out.printf(Locale.ROOT, "(heap after full GC before any connection %.1f MiB; after a first, "
                + "unreported round of %,d connections %.1f MiB: the baseline below)%n%n", mib(cold), peak,
                mib(first.heapAfter));
        System.out.println("| connections | client processes | gateway fds held | heap before / held / after "
                + "(MiB) | heap per connection | pooled direct before / held (MiB) | RSS before / held (MiB) "
                + "| RSS per connection | a request meanwhile |");
        System.out.println("| ---: | ---: | ---: | --- | ---: | --- | --- | ---: | ---: |");
        for (int n : sizes) {
            final Held h = hold(gateway, port, n, perProcess);
            System.out.printf(Locale.ROOT, "| %,d | %d | %,d | %.1f / %.1f / %.1f | %,d B | %.1f / %.1f | "
                    + "%.1f / %.1f | %,d B | %d |%n", n, h.processes, h.fdsHeld, mib(h.heap0), mib(h.heapHeld),
                    mib(h.heapAfter), (h.heapHeld - h.heap0) / n, mib(h.direct0), mib(h.directHeld), mib(h.rss0),
                    mib(h.rssHeld), (h.rssHeld - h.rss0) / n, h.served);
            Files.writeString(csv, String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d%n", n, h.fdsHeld,
                    h.heap0, h.heapHeld, h.heapAfter, (h.heapHeld - h.heap0) / n, h.direct0, h.directHeld, h.rss0,
                    h.rssHeld, h.served), StandardOpenOption.APPEND);
        }
    }

    /** What one round measured. */
    private record Held(int processes, long fdsHeld, long heap0, long heapHeld, long heapAfter, long direct0,
            long directHeld, long rss0, long rssHeld, int served) {
    }

    /** Opens {@code n} idle connections, measures, closes them and waits for the gateway to let them go. */
    private static Held hold(GatewayProcess gateway, int port, int n, int perProcess) throws Exception {
        final long fds0 = gateway.openDescriptors();
        final long heap0 = gateway.heapAfterFullGc();
        final long direct0 = gateway.pooledDirect();
        final long rss0 = gateway.rss();
        final Path stop = Files.createTempFile("idle-clients", ".stop");
        Files.delete(stop);
        final List<Process> clients = new ArrayList<>();
        try {
            for (int opened = 0; opened < n; opened += perProcess) {
                final int count = Math.min(perProcess, n - opened);
                clients.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                        IdleClients.class.getName(), Integer.toString(port), Integer.toString(count),
                        Integer.toString(2 + opened / PER_SOURCE), Integer.toString(PER_SOURCE), stop.toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start());
            }
            for (Process client : clients) {
                final String line = new BufferedReader(new InputStreamReader(client.getInputStream(),
                        StandardCharsets.UTF_8)).readLine();
                if (line == null || !line.startsWith("OPEN ")) {
                    throw new IllegalStateException("a client process failed: " + line);
                }
            }
            // A few descriptors of the round before may still be closing when fds0 is read: allow for them.
            if (!await(gateway, fds -> fds >= fds0 + n - SLACK)) {
                throw new IllegalStateException("the gateway holds " + (gateway.openDescriptors() - fds0)
                        + " of " + n + " connections after 60 s");
            }
            settle(gateway);
            final long fdsHeld = gateway.openDescriptors();
            final long heapHeld = gateway.heapAfterFullGc();
            final long directHeld = gateway.pooledDirect();
            final long rssHeld = gateway.rss();
            final int served = request(port);
            Files.createFile(stop);
            for (Process client : clients) {
                client.waitFor(60, TimeUnit.SECONDS);
            }
            if (!await(gateway, fds -> fds <= fds0 + SLACK)) {
                throw new IllegalStateException("descriptors not given back: " + fds0 + " before, "
                        + gateway.openDescriptors() + " 60 s after the clients closed");
            }
            settle(gateway);
            return new Held(clients.size(), fdsHeld, heap0, heapHeld, gateway.heapAfterFullGc(), direct0,
                    directHeld, rss0, rssHeld, served);
        } finally {
            for (Process client : clients) {
                client.destroy();
                client.waitFor(10, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(stop);
        }
    }

    private static boolean await(GatewayProcess gateway, LongPredicate fds) throws InterruptedException {
        final long deadline = System.nanoTime() + AWAIT_NANOS;
        while (!fds.test(gateway.openDescriptors())) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** Waits until the gateway's descriptor count holds still for a second (at most ten). */
    private static void settle(GatewayProcess gateway) throws InterruptedException {
        long last = gateway.openDescriptors();
        for (int still = 0, i = 0; still < 10 && i < 100; i++) {
            Thread.sleep(100);
            final long now = gateway.openDescriptors();
            still = now == last ? still + 1 : 0;
            last = now;
        }
    }

    /** The status of one POST on a new connection from 127.0.0.1, or -1 when none came. */
    private static int request(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(5000);
            final OutputStream out = s.getOutputStream();
            out.write(("POST / HTTP/1.1\r\nHost: scale.example\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 2\r\nConnection: close\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final String status = new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            return status == null ? -1 : Integer.parseInt(status.split(" ")[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }
}
