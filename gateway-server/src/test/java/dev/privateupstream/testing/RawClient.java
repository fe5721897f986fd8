package dev.privateupstream.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A client socket bound to a chosen loopback source that writes raw bytes and reads raw HTTP/1.1
 * responses: the caller of tests that send what no well-behaved client would.
 */
public final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** A parsed response; {@code body} per its framing. */
    public record Response(int status, List<String[]> headers, byte[] body) {
        public String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    public RawClient(String source, int port) throws IOException {
        socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(15000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    public RawClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    public RawClient timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    /** Reads one response; throws {@link java.io.EOFException} when the server closed first. */
    public Response read() throws IOException {
        final Response head = readHead();
        final int status = head.status();
        final List<String[]> headers = head.headers();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final String length = head.header("Content-Length");
        final String coding = head.header("Transfer-Encoding");
        if (status / 100 == 1 || status == 204 || status == 304) {
            return head;
        }
        if (coding != null && coding.toLowerCase(Locale.ROOT).contains("chunked")) {
            while (true) {
                final int size = Integer.parseInt(line().split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!line().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                body.write(in.readNBytes(size));
                line();
            }
        } else if (length != null) {
            final int n = Integer.parseInt(length);
            final byte[] b = in.readNBytes(n);
            if (b.length != n) {
                throw new java.io.EOFException("body truncated: " + b.length + " of " + n);
            }
            body.write(b);
        } else {
            body.write(in.readAllBytes());
        }
        return new Response(status, headers, body.toByteArray());
    }

    /**
     * Reads a response's status line and headers only: the whole answer to a {@code HEAD}, whose
     * {@code Content-Length} announces a body that is not sent.
     */
    public Response readHead() throws IOException {
        final String statusLine = line();
        final String[] parts = statusLine.split(" ", 3);
        final int status = Integer.parseInt(parts[1]);
        final List<String[]> headers = new ArrayList<>();
        String line;
        while (!(line = line()).isEmpty()) {
            final int colon = line.indexOf(':');
            headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
        }
        return new Response(status, headers, new byte[0]);
    }

    /** Whether the server closed the connection (end of stream within the timeout). */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
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
        throw new java.io.EOFException("connection closed by the server");
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
