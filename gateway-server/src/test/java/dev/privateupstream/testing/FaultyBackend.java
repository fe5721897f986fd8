package dev.privateupstream.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend on plain blocking sockets whose every byte the test controls: it can stall, reset, close a
 * kept-alive connection, answer garbage or stream without end. Each accepted connection runs the current
 * {@link Behaviour} on its own thread. No Netty inside, so the gateway's buffer metrics count only the
 * gateway.
 */
public final class FaultyBackend implements AutoCloseable {

    /** What the backend does with one accepted connection. */
    @FunctionalInterface
    public interface Behaviour {
        void serve(Connection connection) throws IOException, InterruptedException;
    }

    /** A request as the backend read it off the wire. */
    public record Request(String requestLine, List<String> headerLines, byte[] body) {
        public String header(String name) {
            for (String line : headerLines) {
                final int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger closedByGateway = new AtomicInteger();
    private final AtomicLong bytesWritten = new AtomicLong();
    private volatile Behaviour behaviour;
    private volatile boolean closed;

    private FaultyBackend(Behaviour behaviour) throws IOException {
        this.behaviour = behaviour;
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        acceptor = new Thread(this::acceptLoop, "faulty-backend-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static FaultyBackend start(Behaviour behaviour) throws IOException {
        return new FaultyBackend(behaviour);
    }

    /** A loopback port nothing listens on (bound, then closed): connecting is refused. */
    public static int refusingPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public FaultyBackend behave(Behaviour behaviour) {
        this.behaviour = behaviour;
        return this;
    }

    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Requests read completely (head and body) so far, in order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Body bytes the behaviours wrote through {@link Connection#stream}. */
    public long bytesWritten() {
        return bytesWritten.get();
    }

    /** Connections on which the backend read end-of-stream: the gateway closed its side. */
    public int closedByGateway() {
        return closedByGateway.get();
    }

    /** Waits until {@code n} connections were closed by the gateway; false on timeout. */
    public boolean awaitClosedByGateway(int n, Duration timeout) throws InterruptedException {
        return await(() -> closedByGateway.get() >= n, timeout);
    }

    /** Waits until every accepted connection has ended (its behaviour returned or failed); false on timeout. */
    public boolean awaitAllConnectionsEnded(Duration timeout) throws InterruptedException {
        return await(sockets::isEmpty, timeout);
    }

    /** Waits until {@code n} requests were read; false on timeout. */
    public boolean awaitRequests(int n, Duration timeout) throws InterruptedException {
        return await(() -> requests.size() >= n, timeout);
    }

    private static boolean await(java.util.function.BooleanSupplier condition, Duration timeout)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private void acceptLoop() {
        while (!closed) {
            final Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            sockets.add(socket);
            final Behaviour b = behaviour;
            final Thread t = new Thread(() -> run(socket, b), "faulty-backend-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void run(Socket socket, Behaviour b) {
        try (socket) {
            b.serve(new Connection(socket));
        } catch (IOException | InterruptedException e) {
            // The gateway went away, or the behaviour reset the connection: both are what tests provoke.
        } finally {
            sockets.remove(socket);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }

    /** One accepted connection, with the few moves a behaviour needs. */
    public final class Connection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        public Socket socket() {
            return socket;
        }

        /** Reads one request (head, and body by its framing); {@code null} at end-of-stream. */
        public Request readRequest() throws IOException {
            final String requestLine;
            try {
                requestLine = line();
            } catch (EOFException e) {
                closedByGateway.incrementAndGet();
                return null;
            }
            final List<String> headers = new ArrayList<>();
            String line;
            while (!(line = line()).isEmpty()) {
                headers.add(line);
            }
            final Request head = new Request(requestLine, headers, new byte[0]);
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            final String coding = head.header("Transfer-Encoding");
            final String length = head.header("Content-Length");
            if (coding != null && coding.toLowerCase(Locale.ROOT).contains("chunked")) {
                while (true) {
                    final int size = Integer.parseInt(line().split(";")[0].trim(), 16);
                    if (size == 0) {
                        while (!line().isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    body.write(readExactly(size));
                    line();
                }
            } else if (length != null) {
                body.write(readExactly(Integer.parseInt(length)));
            }
            final Request request = new Request(requestLine, List.copyOf(headers), body.toByteArray());
            requests.add(request);
            return request;
        }

        public Connection write(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return this;
        }

        public Connection write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            return this;
        }

        /**
         * Writes {@code total} body bytes of {@link #pattern} in writes of about 64 KiB, counting them; blocks
         * when the gateway stops reading, which is the point.
         */
        public void stream(long total) throws IOException {
            final byte[] chunk = pattern(251 * 261); // a whole number of periods: the pattern runs on
            long left = total;
            while (left > 0) {
                final int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                bytesWritten.addAndGet(n);
                left -= n;
            }
            out.flush();
        }

        /** Closes with a TCP reset (SO_LINGER 0) instead of a FIN. */
        public void reset() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        /**
         * Sends a FIN, then waits until the gateway closes its side too (reads end-of-stream): after this,
         * the gateway has seen the close.
         */
        public boolean closeAndAwaitGatewayClose(Duration timeout) throws IOException {
            socket.shutdownOutput();
            socket.setSoTimeout((int) timeout.toMillis());
            try {
                while (in.read() >= 0) {
                    // discard
                }
                closedByGateway.incrementAndGet();
                return true;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException e) {
                closedByGateway.incrementAndGet();
                return true; // reset by the gateway: closed as well
            }
        }

        /** Waits until the gateway closes the connection (end-of-stream or reset); false on timeout. */
        public boolean awaitGatewayClose(Duration timeout) throws IOException {
            socket.setSoTimeout((int) timeout.toMillis());
            try {
                while (in.read() >= 0) {
                    // discard whatever else the gateway sends
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException e) {
                // reset: closed as well
            }
            closedByGateway.incrementAndGet();
            return true;
        }

        private byte[] readExactly(int n) throws IOException {
            final byte[] b = in.readNBytes(n);
            if (b.length != n) {
                throw new EOFException("request body truncated: " + b.length + " of " + n);
            }
            return b;
        }

        private String line() throws IOException {
            final StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    final int n = sb.length();
                    return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
                }
                sb.append((char) c);
            }
            throw new EOFException("connection closed by the gateway");
        }
    }

    /** The bytes {@link Connection#stream} sends at offsets {@code 0..n-1} (repeating every 251 bytes). */
    public static byte[] pattern(int n) {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }
}
