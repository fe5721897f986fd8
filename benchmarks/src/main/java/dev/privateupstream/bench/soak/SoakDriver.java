package dev.privateupstream.bench.soak;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * The soak test's two halves, on the JDK alone (benchmarks/soak.sh runs them):
 *
 * <ul>
 *   <li>{@code backend PORT}: a keep-alive HTTP/1.1 echo backend on loopback, a thread per connection;</li>
 *   <li>{@code drive GATEWAY_PORT ADMIN_PORT GATEWAY_PID SECONDS THREADS}: mixed traffic at the gateway
 *       (allowed calls from the approved endpoint 127.0.0.10, denials from the pending 127.0.0.20 and the
 *       public 127.0.0.1, hostile requests, clients that vanish mid-request) for SECONDS, then the numbers:
 *       requests by kind, unexpected answers, and the gateway's heap, pooled direct memory, RSS and open
 *       descriptors at start and end.</li>
 * </ul>
 *
 * Every request's answer is checked against what the gateway must say; anything else counts as an error.
 */
public final class SoakDriver {
    private static final String HOST = "soak.example";

    private SoakDriver() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("backend")) {
            backend(Integer.parseInt(args[1]));
        } else if (args.length == 6 && args[0].equals("drive")) {
            System.exit(drive(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]),
                    Integer.parseInt(args[4]), Integer.parseInt(args[5])));
        } else {
            System.err.println("usage: SoakDriver backend PORT | drive GATEWAY_PORT ADMIN_PORT PID SECONDS THREADS");
            System.exit(2);
        }
    }

    // The backend

    private static void backend(int port) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
            System.out.println("backend listening on " + port);
            while (true) {
                final Socket socket = server.accept();
                final Thread t = new Thread(() -> echo(socket), "soak-backend");
                t.setDaemon(true);
                t.start();
            }
        }
    }

    private static void echo(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            final InputStream in = new BufferedInputStream(socket.getInputStream());
            final OutputStream out = socket.getOutputStream();
            while (true) {
                final Message request = Message.read(in, true);
                if (request == null) {
                    return;
                }
                final byte[] body = request.body.length > 0 ? request.body : "{\"ok\":true}".getBytes(StandardCharsets.US_ASCII);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            }
        } catch (IOException e) {
            // the gateway closed or reset: fine
        }
    }

    // The traffic

    private enum Kind { ALLOWED, DENIED_PENDING, DENIED_PUBLIC, HOSTILE, ABANDONED }

    private static final LongAdder[] COUNTS = new LongAdder[Kind.values().length];
    private static final LongAdder ERRORS = new LongAdder();
    private static final List<String> ERROR_SAMPLES = new ArrayList<>();

    static {
        for (int i = 0; i < COUNTS.length; i++) {
            COUNTS[i] = new LongAdder();
        }
    }

    /**
     * Hostile requests and the status each must get (the connection closes after each); a third entry is
     * the status from the public network where it differs: a malformed chunk is found only after the head
     * was judged, and a public caller's head is refused first.
     */
    private static final String[][] HOSTILE = {
        {"POST / HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", "400"},
        {"POST / HTTP/1.1\r\nHost: " + HOST + "\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n", "400"},
        {"POST / HTTP/1.1\r\nHost: " + HOST + "\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nx\r\n0\r\n\r\n", "400",
            "403"},
        {"GET / HTTP/1.1\r\nHost: " + HOST + "\r\nX-A: 1\r\n folded\r\n\r\n", "400"},
        {"GET / HTTP/1.1\nHost: " + HOST + "\n\n", "400"},
        {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "400"},
        {"CONNECT " + HOST + ":443 HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n", "400"},
        {"GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n", "414"},
        {"GET / HTTP/1.1\r\nHost: " + HOST + "\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n", "431"},
        {"POST / HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: 2000000\r\n\r\n", "413"},
    };

    private static int drive(int gatewayPort, int adminPort, long pid, int seconds, int threads) throws Exception {
        collectGarbage(pid);
        final Snapshot start = Snapshot.take(pid, adminPort);
        System.out.println("start: " + start);
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            final Thread t = new Thread(() -> work(gatewayPort, stop), "soak-" + i);
            t.start();
            workers.add(t);
        }
        final long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(10_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            System.out.println("  " + totals() + "; " + Snapshot.take(pid, adminPort));
        }
        stop.set(true);
        for (Thread t : workers) {
            t.join(30_000);
        }
        Thread.sleep(2000); // let the gateway close what the clients closed
        collectGarbage(pid);
        final Snapshot finish = Snapshot.take(pid, adminPort);
        System.out.println("end:   " + finish);
        System.out.println("requests: " + totals());
        System.out.printf(Locale.ROOT, "soak: %d s, %d requests, %d errors; heap %.1f -> %.1f MiB, pooled direct"
                + " %.1f -> %.1f MiB, rss %.1f -> %.1f MiB, open fds %d -> %d%n", seconds, total(), ERRORS.sum(),
                mib(start.heap), mib(finish.heap), mib(start.direct), mib(finish.direct), mib(start.rss),
                mib(finish.rss), start.fds, finish.fds);
        synchronized (ERROR_SAMPLES) {
            ERROR_SAMPLES.forEach(e -> System.out.println("  error: " + e));
        }
        return ERRORS.sum() == 0 ? 0 : 1;
    }

    /** Heap numbers compare only after a collection: asks the gateway's JVM for one (best effort). */
    private static void collectGarbage(long pid) throws InterruptedException {
        try {
            final Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "GC.run").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            jcmd.waitFor();
        } catch (IOException e) {
            System.out.println("(no jcmd: heap numbers are before collection)");
        }
    }

    private static long total() {
        long n = 0;
        for (LongAdder a : COUNTS) {
            n += a.sum();
        }
        return n;
    }

    private static String totals() {
        final StringBuilder sb = new StringBuilder();
        for (Kind k : Kind.values()) {
            sb.append(k.name().toLowerCase(Locale.ROOT)).append('=').append(COUNTS[k.ordinal()].sum()).append(' ');
        }
        return sb.append("errors=").append(ERRORS.sum()).toString();
    }

    private static void work(int port, AtomicBoolean stop) {
        final Connection[] keepAlive = new Connection[3];
        final String[] sources = {"127.0.0.10", "127.0.0.20", "127.0.0.1"};
        while (!stop.get()) {
            final int roll = ThreadLocalRandom.current().nextInt(100);
            try {
                if (roll < 60) {
                    allowed(port, keepAlive, sources);
                } else if (roll < 85) {
                    final boolean pending = roll < 72;
                    final int s = pending ? 1 : 2;
                    exchange(port, keepAlive, sources, s, "POST /api HTTP/1.1\r\nHost: " + HOST
                            + "\r\nContent-Length: 2\r\n\r\nhi", 403, pending ? Kind.DENIED_PENDING : Kind.DENIED_PUBLIC);
                } else if (roll < 97) {
                    hostile(port);
                } else {
                    abandoned(port);
                }
            } catch (IOException e) {
                error("io: " + e);
                for (int i = 0; i < keepAlive.length; i++) {
                    keepAlive[i] = Connection.close(keepAlive[i]);
                }
            }
        }
        for (Connection c : keepAlive) {
            Connection.close(c);
        }
    }

    private static void allowed(int port, Connection[] keepAlive, String[] sources) throws IOException {
        final byte[] body = new byte[ThreadLocalRandom.current().nextInt(1, 4096)];
        ThreadLocalRandom.current().nextBytes(body);
        final Connection c = connection(port, keepAlive, sources, 0);
        final boolean chunked = body.length % 2 == 0;
        final ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.writeBytes(("POST /runtime/webhooks/signalr HTTP/1.1\r\nHost: " + HOST + "\r\n"
                + (chunked ? "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(body.length) + "\r\n"
                : "Content-Length: " + body.length + "\r\n\r\n")).getBytes(StandardCharsets.US_ASCII));
        raw.writeBytes(body);
        if (chunked) {
            raw.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        final Message response = c.exchange(raw.toByteArray());
        COUNTS[Kind.ALLOWED.ordinal()].increment();
        if (response == null || response.status != 200 || !java.util.Arrays.equals(response.body, body)) {
            error("allowed call: " + (response == null ? "closed" : response.status + ", body echoed: "
                    + java.util.Arrays.equals(response.body, body)));
            keepAlive[0] = Connection.close(c);
        }
    }

    private static void exchange(int port, Connection[] keepAlive, String[] sources, int s, String request,
            int expected, Kind kind) throws IOException {
        final Connection c = connection(port, keepAlive, sources, s);
        final Message response = c.exchange(request.getBytes(StandardCharsets.US_ASCII));
        COUNTS[kind.ordinal()].increment();
        if (response == null || response.status != expected) {
            error(kind + ": " + (response == null ? "closed" : Integer.toString(response.status)));
            keepAlive[s] = Connection.close(c);
        }
    }

    private static void hostile(int port) throws IOException {
        final String[] pick = HOSTILE[ThreadLocalRandom.current().nextInt(HOSTILE.length)];
        final boolean fromPublic = ThreadLocalRandom.current().nextBoolean();
        final int expected = Integer.parseInt(fromPublic && pick.length > 2 ? pick[2] : pick[1]);
        try (Connection c = new Connection(fromPublic ? "127.0.0.1" : "127.0.0.10", port)) {
            final Message response = c.exchange(pick[0].getBytes(StandardCharsets.ISO_8859_1));
            COUNTS[Kind.HOSTILE.ordinal()].increment();
            if (response == null || response.status != expected) {
                error("hostile " + pick[0].substring(0, Math.min(30, pick[0].length())).replace("\r\n", " ") + ": "
                        + (response == null ? "closed" : Integer.toString(response.status)));
            }
        }
    }

    /** A client that goes away mid-request: the gateway must clean up after it, with no answer to check. */
    private static void abandoned(int port) throws IOException {
        try (Connection c = new Connection("127.0.0.10", port)) {
            final String head = "POST /api HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: 100\r\n\r\nhalf";
            c.out.write(head.substring(0, ThreadLocalRandom.current().nextInt(1, head.length()))
                    .getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
        }
        COUNTS[Kind.ABANDONED.ordinal()].increment();
    }

    private static Connection connection(int port, Connection[] keepAlive, String[] sources, int s) throws IOException {
        if (keepAlive[s] == null || ThreadLocalRandom.current().nextInt(50) == 0) {
            Connection.close(keepAlive[s]);
            keepAlive[s] = new Connection(sources[s], port);
        }
        return keepAlive[s];
    }

    private static void error(String what) {
        ERRORS.increment();
        synchronized (ERROR_SAMPLES) {
            if (ERROR_SAMPLES.size() < 20) {
                ERROR_SAMPLES.add(what);
            }
        }
    }

    private static double mib(long bytes) {
        return bytes / 1024.0 / 1024.0;
    }

    /** One client connection from a chosen loopback source. */
    private static final class Connection implements AutoCloseable {
        final Socket socket = new Socket();
        final InputStream in;
        final OutputStream out;

        Connection(String source, int port) throws IOException {
            socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(15_000);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        /** Sends a request and reads its answer; {@code null} if the gateway closed first. */
        Message exchange(byte[] request) throws IOException {
            try {
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // The gateway may refuse and close before a large hostile request is fully written.
            }
            return Message.read(in, false);
        }

        static Connection close(Connection c) {
            if (c != null) {
                c.close();
            }
            return null;
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    /** A parsed HTTP/1.1 message: the request line or status, and the body by its framing. */
    private static final class Message {
        int status;
        byte[] body;

        static Message read(InputStream in, boolean request) throws IOException {
            final String first;
            try {
                first = line(in);
            } catch (EOFException e) {
                return null;
            } catch (IOException e) {
                if (request) {
                    return null;
                }
                throw e;
            }
            final Message m = new Message();
            if (!request) {
                m.status = Integer.parseInt(first.split(" ", 3)[1]);
            }
            long length = 0;
            boolean chunked = false;
            String line;
            while (!(line = line(in)).isEmpty()) {
                final int colon = line.indexOf(':');
                final String name = line.substring(0, colon).trim();
                final String value = line.substring(colon + 1).trim();
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Long.parseLong(value);
                } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                    chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                }
            }
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (chunked) {
                int size;
                while ((size = Integer.parseInt(line(in).split(";")[0].trim(), 16)) > 0) {
                    body.writeBytes(in.readNBytes(size));
                    line(in);
                }
                while (!line(in).isEmpty()) {
                    // trailers
                }
            } else {
                final byte[] b = in.readNBytes((int) length);
                if (b.length != length) {
                    throw new EOFException("body cut short");
                }
                body.writeBytes(b);
            }
            m.body = body.toByteArray();
            return m;
        }

        private static String line(InputStream in) throws IOException {
            final StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    final int n = sb.length();
                    return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
                }
                sb.append((char) c);
            }
            throw new EOFException();
        }
    }

    /** The gateway process as seen from outside: /proc for descriptors and RSS, /metrics for memory. */
    private record Snapshot(long fds, long rss, long heap, long direct) {
        static Snapshot take(long pid, int adminPort) throws IOException, InterruptedException {
            long fds;
            try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                fds = s.count();
            }
            long rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            final HttpClient http = HttpClient.newHttpClient();
            final String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
                    + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
            long heap = 0;
            long direct = 0;
            for (String line : metrics.split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    heap += value(line);
                } else if (line.startsWith("netty_allocator_memory_used") && line.contains("memory_type=\"direct\"")) {
                    direct += value(line);
                }
            }
            return new Snapshot(fds, rss, heap, direct);
        }

        private static long value(String line) {
            return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "heap %.1f MiB, pooled direct %.1f MiB, rss %.1f MiB, open fds %d",
                    mib(heap), mib(direct), mib(rss), fds);
        }
    }
}
