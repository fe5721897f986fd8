package dev.privateupstream.simulator;

import static java.util.Objects.requireNonNull;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Sends {@link UpstreamCall}s as real HTTP/1.1 over a plain TCP connection whose local address is chosen, so
 * that a gateway on loopback sees the call coming from, say, {@code 127.0.0.10} (on Linux every
 * {@code 127.0.0.0/8} address is local and can be bound).
 *
 * <p>Responses are read in full: interim {@code 1xx} responses are skipped, the body is framed by
 * {@code Transfer-Encoding: chunked}, {@code Content-Length} or the end of the connection, and responses to
 * {@code HEAD} and {@code 204}/{@code 304} have none. A server that closes or resets the connection before a
 * complete response surfaces as {@link ConnectionClosedException}; a server that stays silent beyond the read
 * timeout as {@link SocketTimeoutException}.
 *
 * <p>A sender is immutable and may be shared; each {@link Connection} belongs to one thread at a time.
 */
public final class UpstreamCallSender {

    /** The connect and read timeout unless told otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final int MAX_LINE_BYTES = 64 * 1024;
    private static final int MAX_HEADER_LINES = 1000;
    /** SignalR's own cap on a completion body, and more than any test needs. */
    private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private final Duration connectTimeout;
    private final Duration readTimeout;

    /** A sender with {@link #DEFAULT_TIMEOUT} to connect and for each read. */
    public UpstreamCallSender() {
        this(DEFAULT_TIMEOUT, DEFAULT_TIMEOUT);
    }

    /**
     * A sender with these timeouts.
     *
     * @param connectTimeout how long to wait for the TCP connection
     * @param readTimeout how long to wait for each read of the response
     */
    public UpstreamCallSender(Duration connectTimeout, Duration readTimeout) {
        this.connectTimeout = positive(connectTimeout, "connectTimeout");
        this.readTimeout = positive(readTimeout, "readTimeout");
    }

    /**
     * Opens a connection from {@code source} to the server {@code target} names. Only the scheme, host and port
     * of {@code target} count: each call carries its own request target.
     *
     * @param source the local address to bind, or {@code null} to let the system choose
     * @param target an {@code http} URL
     * @throws IOException naming the source and target when binding or connecting fails
     */
    public Connection open(InetAddress source, URI target) throws IOException {
        requireNonNull(target, "target");
        if (!"http".equalsIgnoreCase(target.getScheme()) || target.getHost() == null) {
            throw new IllegalArgumentException("target: " + target + " (expected: http://host:port/...)");
        }
        final int port = target.getPort() == -1 ? 80 : target.getPort();
        final String authority = target.getPort() == -1 ? target.getHost() : target.getHost() + ':' + port;
        final InetSocketAddress remote = new InetSocketAddress(InetAddress.getByName(target.getHost()), port);
        final Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            try {
                socket.bind(new InetSocketAddress(source, 0));
            } catch (IOException e) {
                throw new IOException("cannot bind source address " + (source == null ? "*" : source.getHostAddress())
                                      + ": " + e.getMessage(), e);
            }
            try {
                socket.connect(remote, (int) connectTimeout.toMillis());
            } catch (IOException e) {
                throw new IOException("cannot connect to " + authority + " from "
                                      + (source == null ? "*" : source.getHostAddress()) + ": " + e.getMessage(), e);
            }
            socket.setSoTimeout((int) readTimeout.toMillis());
            return new Connection(socket, authority, readTimeout);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Opens a connection, sends one call, reads its response and closes the connection. */
    public UpstreamCallResult send(InetAddress source, URI target, UpstreamCall call) throws IOException {
        requireNonNull(call, "call");
        try (Connection connection = open(source, target)) {
            return connection.send(call);
        }
    }

    private static Duration positive(Duration timeout, String name) {
        requireNonNull(timeout, name);
        if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": " + timeout + " (expected: > 0 and < 24 days)");
        }
        return timeout;
    }

    /**
     * One kept-alive connection: calls go out one after the other, each response read in full before the
     * next call is written. Not thread-safe.
     */
    public static final class Connection implements Closeable {
        private final Socket socket;
        private final String authority;
        private final Duration readTimeout;
        private final InputStream in;
        private final OutputStream out;
        /** Why the connection can carry no more calls, or {@code null} while it can. */
        private String closedBecause;

        private Connection(Socket socket, String authority, Duration readTimeout) throws IOException {
            this.socket = socket;
            this.authority = authority;
            this.readTimeout = readTimeout;
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        /** The local address and port the connection was made from. */
        public InetSocketAddress localAddress() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        /**
         * Whether another call may be sent: false once the server announced {@code Connection: close},
         * framed a body by closing, failed, or {@link #close()} was called.
         */
        public boolean isOpen() {
            return closedBecause == null;
        }

        /**
         * Sends a call and reads its response. The {@code Host} header is the target URL's authority unless
         * the call names one.
         *
         * @throws ConnectionClosedException if the server closes or resets the connection before a complete
         *         response, or closed it earlier
         * @throws SocketTimeoutException if a read waits longer than the read timeout
         */
        public UpstreamCallResult send(UpstreamCall call) throws IOException {
            requireNonNull(call, "call");
            return exchange(call.encode(authority), call.method(), call.toString());
        }

        /**
         * Writes bytes as they are and reads one response, for requests an {@link UpstreamCall} cannot
         * express (ambiguous framing, obsolete line folding). The response is read as one to a method other
         * than {@code HEAD}.
         */
        public UpstreamCallResult sendRaw(byte[] request) throws IOException {
            requireNonNull(request, "request");
            return exchange(request.clone(), "RAW", request.length + " raw bytes");
        }

        /**
         * Waits until the server closes the connection, for tests that expect it to.
         *
         * @return true when the server closed (or reset) the connection within {@code timeout}, false when it
         *         is still open
         * @throws IOException if the server sends bytes instead
         */
        public boolean awaitServerClose(Duration timeout) throws IOException {
            positive(timeout, "timeout");
            try {
                socket.setSoTimeout((int) timeout.toMillis());
                final int b = in.read();
                if (b != -1) {
                    throw new IOException("unexpected byte 0x" + Integer.toHexString(b) + " from " + authority
                                          + " (expected: the connection to close)");
                }
                markClosed("the server closed the connection");
                return true;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException e) {
                markClosed("the server reset the connection");
                return true;
            } finally {
                if (!socket.isClosed()) {
                    socket.setSoTimeout((int) readTimeout.toMillis());
                }
            }
        }

        @Override
        public void close() throws IOException {
            markClosed("the connection was closed by its owner");
        }

        private UpstreamCallResult exchange(byte[] request, String method, String what) throws IOException {
            if (closedBecause != null) {
                throw new ConnectionClosedException("cannot send " + what + " to " + authority + ": " + closedBecause);
            }
            try {
                out.write(request);
                out.flush();
            } catch (SocketException e) {
                markClosed("the server closed the connection");
                throw new ConnectionClosedException("connection to " + authority + " closed by the server while sending "
                                                    + what + ": " + e.getMessage(), e);
            }
            try {
                return readResponse(method, what);
            } catch (SocketTimeoutException e) {
                markClosed("a response timed out");
                final SocketTimeoutException timeout = new SocketTimeoutException(
                    "no complete response from " + authority + " within " + readTimeout + " to " + what);
                timeout.initCause(e);
                throw timeout;
            } catch (SocketException e) {
                markClosed("the server reset the connection");
                throw new ConnectionClosedException("connection to " + authority + " reset by the server before a complete response to "
                                                    + what + ": " + e.getMessage(), e);
            } catch (IOException | RuntimeException e) {
                markClosed("a response failed: " + e.getMessage());
                throw e;
            }
        }

        private UpstreamCallResult readResponse(String method, String what) throws IOException {
            while (true) {
                final String statusLine = readLine(true);
                if (statusLine == null) {
                    throw new ConnectionClosedException("connection to " + authority
                                                        + " closed by the server before a response to " + what);
                }
                final StatusLine status = StatusLine.parse(statusLine);
                final List<HeaderField> headers = readHeaders();
                if (status.code >= 100 && status.code < 200 && status.code != 101) {
                    continue;  // interim response (100 Continue, 103 Early Hints): the final one follows
                }
                final boolean keepAlive = status.code != 101 && isKeepAlive(status.version, headers);
                final byte[] body;
                boolean closeDelimited = false;
                if ("HEAD".equals(method) || status.code < 200 || status.code == 204 || status.code == 304) {
                    body = new byte[0];
                } else if (HeaderField.first(headers, "Transfer-Encoding") != null) {
                    if (isChunked(headers)) {
                        body = readChunked(headers, what);
                    } else {
                        body = readToClose();
                        closeDelimited = true;
                    }
                } else {
                    final long length = contentLength(headers);
                    if (length >= 0) {
                        body = readExactly((int) length, what);
                    } else {
                        body = readToClose();
                        closeDelimited = true;
                    }
                }
                final UpstreamCallResult result = new UpstreamCallResult(status.code, status.reason, headers, body);
                if (closeDelimited) {
                    markClosed("the server ended a body by closing the connection");
                } else if (!keepAlive) {
                    markClosed("the server answered without keep-alive (" + result.header("Connection") + ")");
                }
                return result;
            }
        }

        private List<HeaderField> readHeaders() throws IOException {
            final List<HeaderField> headers = new ArrayList<>();
            while (true) {
                final String line = readLine(false);
                if (line.isEmpty()) {
                    return headers;
                }
                if (headers.size() == MAX_HEADER_LINES) {
                    throw new IOException("more than " + MAX_HEADER_LINES + " header lines from " + authority);
                }
                if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                    throw new IOException("obsolete line folding from " + authority + ": '" + line + "'");
                }
                final int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("malformed header line from " + authority + ": '" + line + "'");
                }
                headers.add(new HeaderField(line.substring(0, colon), line.substring(colon + 1).strip()));
            }
        }

        /**
         * One line without its CRLF (a bare LF is accepted too), decoded as ISO-8859-1 so every byte survives.
         *
         * @return {@code null} at the end of the stream before any byte, when {@code endAllowed}
         */
        private String readLine(boolean endAllowed) throws IOException {
            final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
            while (true) {
                final int b = in.read();
                if (b == -1) {
                    if (endAllowed && line.size() == 0) {
                        return null;
                    }
                    throw new ConnectionClosedException("connection to " + authority + " closed by the server in a response head");
                }
                if (b == '\n') {
                    final byte[] bytes = line.toByteArray();
                    final int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
                }
                if (line.size() == MAX_LINE_BYTES) {
                    throw new IOException("a response line from " + authority + " is longer than " + MAX_LINE_BYTES + " bytes");
                }
                line.write(b);
            }
        }

        private byte[] readChunked(List<HeaderField> headers, String what) throws IOException {
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                final String sizeLine = readLine(false);
                final int semicolon = sizeLine.indexOf(';');
                final String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).strip();
                final int size;
                try {
                    size = Integer.parseInt(hex, 16);
                } catch (NumberFormatException e) {
                    throw new IOException("chunk size: '" + sizeLine + "' from " + authority + " (expected: hex digits)", e);
                }
                if (size < 0 || body.size() + (long) size > MAX_BODY_BYTES) {
                    throw new IOException("chunked body from " + authority + " exceeds " + MAX_BODY_BYTES + " bytes");
                }
                if (size == 0) {
                    headers.addAll(readHeaders());  // trailers
                    return body.toByteArray();
                }
                body.writeBytes(readExactly(size, what));
                if (!readLine(false).isEmpty()) {
                    throw new IOException("chunk of " + size + " bytes from " + authority + " not followed by CRLF");
                }
            }
        }

        private byte[] readExactly(int length, String what) throws IOException {
            final byte[] bytes = in.readNBytes(length);
            if (bytes.length < length) {
                throw new ConnectionClosedException("connection to " + authority + " closed by the server after "
                                                    + bytes.length + " of " + length + " body bytes of the response to " + what);
            }
            return bytes;
        }

        private byte[] readToClose() throws IOException {
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            final byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) != -1) {
                if (body.size() + n > MAX_BODY_BYTES) {
                    throw new IOException("body from " + authority + " exceeds " + MAX_BODY_BYTES + " bytes");
                }
                body.write(buffer, 0, n);
            }
            return body.toByteArray();
        }

        private long contentLength(List<HeaderField> headers) throws IOException {
            long length = -1;
            for (String value : HeaderField.all(headers, "Content-Length")) {
                for (String part : value.split(",", -1)) {
                    final long parsed;
                    try {
                        parsed = Long.parseLong(part.strip());
                    } catch (NumberFormatException e) {
                        throw new IOException("Content-Length: '" + value + "' from " + authority + " (expected: digits)", e);
                    }
                    if (parsed < 0 || (length >= 0 && parsed != length)) {
                        throw new IOException("Content-Length: '" + value + "' from " + authority
                                              + " (expected: one non-negative length)");
                    }
                    length = parsed;
                }
            }
            if (length > MAX_BODY_BYTES) {
                throw new IOException("Content-Length: " + length + " from " + authority + " (expected: at most " + MAX_BODY_BYTES + ")");
            }
            return length;
        }

        private static boolean isChunked(List<HeaderField> headers) {
            String last = "";
            for (String value : HeaderField.all(headers, "Transfer-Encoding")) {
                for (String coding : value.split(",")) {
                    if (!coding.isBlank()) {
                        last = coding.strip();
                    }
                }
            }
            return last.equalsIgnoreCase("chunked");
        }

        private static boolean isKeepAlive(String version, List<HeaderField> headers) {
            boolean close = false;
            boolean keepAlive = false;
            for (String value : HeaderField.all(headers, "Connection")) {
                for (String token : value.split(",")) {
                    final String option = token.strip().toLowerCase(Locale.ROOT);
                    close |= option.equals("close");
                    keepAlive |= option.equals("keep-alive");
                }
            }
            return !close && ("HTTP/1.1".equals(version) || keepAlive);
        }

        private void markClosed(String reason) throws IOException {
            if (closedBecause == null) {
                closedBecause = reason;
            }
            socket.close();
        }
    }

    /** {@code HTTP/1.1 200 OK}. */
    private record StatusLine(String version, int code, String reason) {
        static StatusLine parse(String line) throws IOException {
            // HTTP-version SP 3DIGIT SP [reason-phrase]; some servers omit the SP before an empty reason.
            if (line.length() < 12 || !line.startsWith("HTTP/1.") || line.charAt(8) != ' '
                || (line.length() > 12 && line.charAt(12) != ' ')) {
                throw new IOException("status line: '" + line + "' (expected: HTTP/1.x NNN reason)");
            }
            final int code;
            try {
                code = Integer.parseInt(line.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new IOException("status line: '" + line + "' (expected: a 3-digit status code)", e);
            }
            if (code < 100 || code > 999) {
                throw new IOException("status line: '" + line + "' (expected: a 3-digit status code)");
            }
            return new StatusLine(line.substring(0, 8), code, line.length() > 13 ? line.substring(13) : "");
        }
    }
}
