package dev.privateupstream.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A subscriber of the admin server's {@code GET /api/events} over a raw socket, as a page's {@code fetch()}
 * reads it: the head, then the chunked body split into server-sent events. The head is checked against the
 * OpenAPI document ({@link OpenApiContract}) as {@link AdminClient} checks its answers.
 */
public final class EventStreamClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Socket socket;
    private final InputStream in;
    private final int status;
    private final Map<String, String> headers;
    private final StringBuilder text = new StringBuilder();
    private boolean ended;

    /** One event: its type ({@code null} for a comment) and data, or the comment's text. */
    public record Event(String type, String data) {
        public JsonNode json() throws IOException {
            return JSON.readTree(data);
        }

        public boolean isComment() {
            return type == null;
        }
    }

    private EventStreamClient(Socket socket, int status, Map<String, String> headers) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.status = status;
        this.headers = headers;
    }

    /** Subscribes with {@code token} ({@code null}: none) and reads the answer's head. */
    public static EventStreamClient open(int adminPort, String token) throws IOException {
        final Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", adminPort), 5000);
        socket.setSoTimeout(15_000);
        socket.getOutputStream().write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        final InputStream in = socket.getInputStream();
        final int status = Integer.parseInt(line(in).split(" ", 3)[1]);
        final Map<String, String> headers = new LinkedHashMap<>();
        for (String line = line(in); !line.isEmpty(); line = line(in)) {
            final int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        final EventStreamClient client = new EventStreamClient(socket, status, headers);
        if (status != 200) {
            return client;
        }
        final List<String> violations = OpenApiContract.admin().violations("GET", "/api/events", status,
                name -> headers.get(name.toLowerCase(Locale.ROOT)), "");
        if (!violations.isEmpty()) {
            socket.close();
            throw new AssertionError("the event stream's head breaks admin/openapi.json:\n"
                    + String.join("\n", violations));
        }
        return client;
    }

    public int status() {
        return status;
    }

    /** A header of the head by name (any case), or {@code null}. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The next event or comment; waits up to the socket's timeout (15 s). */
    public Event next() throws IOException {
        while (true) {
            final int end = text.indexOf("\n\n");
            if (end >= 0) {
                final String block = text.substring(0, end);
                text.delete(0, end + 2);
                return parse(block);
            }
            readChunk();
        }
    }

    /** The next event that is not a comment. */
    public Event nextEvent() throws IOException {
        Event event = next();
        while (event.isComment()) {
            event = next();
        }
        return event;
    }

    /** The events up to and including the first of {@code type} whose data holds {@code part}. */
    public List<Event> until(String type, String part) throws IOException {
        final List<Event> seen = new ArrayList<>();
        Event event;
        do {
            event = nextEvent();
            seen.add(event);
        } while (!(event.type().equals(type) && event.data().contains(part)));
        return seen;
    }

    /**
     * Whether the server ended the stream: the last chunk, then the end of the connection. Reads and drops
     * whatever comes first.
     */
    public boolean endedByServer() throws IOException {
        while (!ended) {
            try {
                readChunk();
            } catch (EOFException e) {
                if (!ended) {
                    return false; // closed without the last chunk
                }
            }
        }
        return in.read() < 0;
    }

    private void readChunk() throws IOException {
        if (ended) {
            throw new EOFException("the stream has ended");
        }
        final int size = Integer.parseInt(line(in).trim(), 16);
        if (size == 0) {
            line(in);
            ended = true;
            throw new EOFException("the stream has ended");
        }
        final byte[] data = in.readNBytes(size);
        if (data.length < size) {
            throw new EOFException("connection closed within a chunk");
        }
        text.append(new String(data, StandardCharsets.UTF_8));
        line(in);
    }

    private static Event parse(String block) {
        if (block.startsWith(":")) {
            return new Event(null, block.substring(1).strip());
        }
        String type = "message";
        final StringBuilder data = new StringBuilder();
        for (String line : block.split("\n")) {
            if (line.startsWith("event: ")) {
                type = line.substring("event: ".length());
            } else if (line.startsWith("data: ")) {
                data.append(data.length() == 0 ? "" : "\n").append(line.substring("data: ".length()));
            } else {
                throw new IllegalStateException("not a server-sent event line: " + line);
            }
        }
        return new Event(type, data.toString());
    }

    private static String line(InputStream in) throws IOException {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                final String line = bytes.toString(StandardCharsets.UTF_8);
                return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
            }
            bytes.write(c);
        }
        throw new EOFException("connection closed by the server");
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
