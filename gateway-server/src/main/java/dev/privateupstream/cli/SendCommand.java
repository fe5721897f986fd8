package dev.privateupstream.cli;

import dev.privateupstream.signalr.SignalRHeaders;
import dev.privateupstream.simulator.HeaderField;
import dev.privateupstream.simulator.HubProtocol;
import dev.privateupstream.simulator.UpstreamCall;
import dev.privateupstream.simulator.UpstreamCallResult;
import dev.privateupstream.simulator.UpstreamCallSender;
import dev.privateupstream.simulator.WebPubSubCall;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code send}: sends one SignalR upstream call or Web PubSub event-handler call ({@code --service}), built as
 * the service builds it, from a chosen local source
 * address, and prints the response (status, headers, body). Exits 0 on a 2xx answer, 1 on any other status,
 * 2 on a usage error or when the call cannot be made.
 */
@Command(name = "send",
         description = {
             "Send one SignalR or Web PubSub upstream call as the service would, and print the response.",
             "A SignalR upstream call, or with --service webpubsub a Web PubSub CloudEvents call, is sent from "
             + "a chosen source address, signed with the keys given." },
         footer = {"  java -jar gateway.jar send --url http://127.0.0.1:8080 --source 127.0.0.10 \\",
                 "      --key \"$KEY\"",
                 "  java -jar gateway.jar send --url http://127.0.0.1:8080/api/chat \\",
                 "      --event broadcast --arg hello --key \"$KEY\"",
                 "  java -jar gateway.jar send --service webpubsub --handshake \\",
                 "      --url http://127.0.0.1:8080"},
         exitCodeList = {"0:a 2xx answer", "1:another status", "2:bad input, or the call could not be made"},
         sortOptions = false)
public final class SendCommand implements Callable<Integer> {

    private static final int EXIT_SUCCESS = 0;
    private static final int EXIT_REFUSED = 1;
    private static final int EXIT_USAGE = 2;

    @Spec
    private CommandSpec spec;

    @Option(names = "--url", required = true, paramLabel = "URL",
            description = "http://host:port/path?query to send to (without a path: " + UpstreamCall.FUNCTIONS_PATH
                    + ", or " + WebPubSubCall.FUNCTIONS_PATH + " for webpubsub).")
    private String url;

    @Option(names = "--service", paramLabel = "signalr|webpubsub", defaultValue = "signalr",
            description = "Which service's call to send (default: ${DEFAULT-VALUE}).")
    private String service;

    @Option(names = "--source", paramLabel = "IP", defaultValue = "127.0.0.1",
            description = "Local address to send from, e.g. 127.0.0.10 (default: ${DEFAULT-VALUE}).")
    private String source;

    @Option(names = "--hub", paramLabel = "HUB", defaultValue = UpstreamCall.DEFAULT_HUB,
            description = "X-ASRS-Hub (default: ${DEFAULT-VALUE}).")
    private String hub;

    @Option(names = "--event", paramLabel = "EVENT", defaultValue = SignalRHeaders.EVENT_CONNECTED,
            description = {"connected, disconnected, or the hub method a message invokes (default: ${DEFAULT-VALUE});",
                    "webpubsub: connect, connected, disconnected, or a user event's name."})
    private String event;

    @Option(names = "--data", paramLabel = "TEXT", description = "webpubsub: the text a user event carries.")
    private String data;

    @Option(names = "--handshake", description = "webpubsub: send the abuse-protection OPTIONS instead of an event.")
    private boolean handshake;

    @Option(names = "--origin", paramLabel = "HOST", defaultValue = WebPubSubCall.DEFAULT_ORIGIN,
            description = "webpubsub: WebHook-Request-Origin (default: ${DEFAULT-VALUE}).")
    private String origin;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "An Entra ID access token to send as Authorization: Bearer TOKEN (SPEC §13).")
    private String token;

    @Option(names = "--protocol", paramLabel = "json|msgpack", defaultValue = "json",
            description = "Hub protocol of a message invocation (default: ${DEFAULT-VALUE}); connection events are always JSON.")
    private String protocol;

    @Option(names = "--invocation-id", paramLabel = "ID",
            description = "Invocation id of a message, asking for a completion; none by default.")
    private String invocationId;

    @Option(names = "--arg", paramLabel = "TEXT", description = "A string argument of a message invocation (repeatable).")
    private List<String> arguments = new ArrayList<>();

    @Option(names = "--connection-id", paramLabel = "ID", description = "X-ASRS-Connection-Id (default: random).")
    private String connectionId;

    @Option(names = "--user-id", paramLabel = "ID", description = "X-ASRS-User-Id; none by default.")
    private String userId;

    @Option(names = "--error", paramLabel = "TEXT", description = "The error of a disconnected event.")
    private String error;

    @Option(names = "--key", paramLabel = "KEY",
            description = "Access key to sign X-ASRS-Signature (webpubsub: ce-signature) with (repeatable, in order).")
    private List<String> keys = new ArrayList<>();

    @Option(names = "--header", paramLabel = "'NAME: VALUE'",
            description = "Extra header (repeatable); replaces a generated header of the same name.")
    private List<String> headers = new ArrayList<>();

    @Option(names = "--host", paramLabel = "HOST", description = "Host header (default: the URL's host and port).")
    private String host;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "Connect and read timeout in seconds (default: ${DEFAULT-VALUE}).")
    private int timeoutSeconds;

    @Option(names = { "-h", "--help" }, usageHelp = true, description = "Shows this help and exits.")
    private boolean help;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Request request;
        try {
            request = request();
        } catch (IllegalArgumentException e) {
            err.println("send: " + e.getMessage());
            err.flush();
            return EXIT_USAGE;
        }
        final UpstreamCallResult result;
        try {
            final Duration timeout = Duration.ofSeconds(timeoutSeconds);
            result = new UpstreamCallSender(timeout, timeout).send(request.source, request.target, request.call);
        } catch (IOException e) {
            err.println("send: " + request.call.method() + ' ' + request.target + " from " + request.source.getHostAddress()
                        + " failed: " + e.getMessage());
            err.flush();
            return EXIT_USAGE;
        }
        print(out, result);
        out.flush();
        return result.isSuccess() ? EXIT_SUCCESS : EXIT_REFUSED;
    }

    private record Request(InetAddress source, URI target, UpstreamCall call) {
    }

    /** Checks the options and builds the call. @throws IllegalArgumentException naming the bad option */
    private Request request() {
        final URI target = parseUrl(url);
        final InetAddress sourceAddress;
        try {
            sourceAddress = InetAddress.getByName(source);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--source: " + source + " (expected: a local IP address)");
        }
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("--timeout: " + timeoutSeconds + " (expected: seconds > 0)");
        }
        if (event.isEmpty()) {
            throw new IllegalArgumentException("--event: '' (expected: connected, disconnected or a hub method name)");
        }
        final UpstreamCall.Builder call = switch (service.toLowerCase(Locale.ROOT)) {
            case "signalr" -> signalrCall(target);
            case "webpubsub" -> webPubSubCall(target);
            default -> throw new IllegalArgumentException("--service: " + service
                    + " (expected: signalr or webpubsub)");
        };
        if (token != null) {
            call.header("Authorization", "Bearer " + token);
        }
        for (String header : headers) {
            final int colon = header.indexOf(':');
            if (colon <= 0 || header.substring(0, colon).isBlank()) {
                throw new IllegalArgumentException("--header: '" + header + "' (expected: 'Name: value')");
            }
            call.header(header.substring(0, colon).strip(), header.substring(colon + 1).strip());
        }
        return new Request(sourceAddress, target, call.build());
    }

    /** A Web PubSub event, or the handshake; the SignalR-only options are refused. */
    private UpstreamCall.Builder webPubSubCall(URI target) {
        if (error != null || invocationId != null || !arguments.isEmpty() || !"json".equals(protocol)) {
            throw new IllegalArgumentException("--error, --invocation-id, --arg and --protocol: only with "
                    + "--service signalr");
        }
        final String path = explicitPath(target);
        final UpstreamCall.Builder call = handshake ? WebPubSubCall.handshake(origin)
                : WebPubSubCall.event(origin, hub, connectionId != null ? connectionId : randomConnectionId(), userId,
                        event, data, keys);
        return call.path(path != null ? path : WebPubSubCall.FUNCTIONS_PATH).host(host);
    }

    private UpstreamCall.Builder signalrCall(URI target) {
        if (data != null || handshake) {
            throw new IllegalArgumentException("--data and --handshake: only with --service webpubsub");
        }
        final boolean connectionEvent = event.equals(SignalRHeaders.EVENT_CONNECTED) || event.equals(SignalRHeaders.EVENT_DISCONNECTED);
        if (error != null && !event.equals(SignalRHeaders.EVENT_DISCONNECTED)) {
            throw new IllegalArgumentException("--error: only with --event disconnected (got: --event " + event + ")");
        }
        if (connectionEvent && (invocationId != null || !arguments.isEmpty())) {
            throw new IllegalArgumentException("--invocation-id and --arg: only for a message invocation (got: --event " + event + ")");
        }
        final String path = explicitPath(target);
        final UpstreamCall.Builder call = UpstreamCall.builder()
            .path(path != null ? path : UpstreamCall.FUNCTIONS_PATH)
            .host(host)
            .hub(hub)
            .connectionId(connectionId != null ? connectionId : randomConnectionId())
            .userId(userId)
            .accessKeys(keys);
        if (event.equals(SignalRHeaders.EVENT_CONNECTED)) {
            call.connected();
        } else if (event.equals(SignalRHeaders.EVENT_DISCONNECTED)) {
            call.disconnected(error);
        } else {
            call.invocation(parseProtocol(protocol), event, invocationId, arguments.toArray());
        }
        return call;
    }

    private static URI parseUrl(String text) {
        final URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--url: " + text + " (expected: http://host:port/path?query)");
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("--url: " + text + " (expected: http://host:port/path?query)");
        }
        return uri;
    }

    /** The URL's path and query, or {@code null} when it has neither (the service's default applies). */
    private static String explicitPath(URI target) {
        final String rawPath = target.getRawPath();
        if ((rawPath == null || rawPath.isEmpty()) && target.getRawQuery() == null) {
            return null;
        }
        final String path = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
        return target.getRawQuery() == null ? path : path + '?' + target.getRawQuery();
    }

    private static HubProtocol parseProtocol(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "json" -> HubProtocol.JSON;
            case "msgpack", "messagepack" -> HubProtocol.MESSAGEPACK;
            default -> throw new IllegalArgumentException("--protocol: " + text + " (expected: json or msgpack)");
        };
    }

    /** 16 random bytes in base64url, the shape of the service's connection ids. */
    private static String randomConnectionId() {
        final byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void print(PrintWriter out, UpstreamCallResult result) {
        out.println(result.status() + (result.reasonPhrase().isEmpty() ? "" : " " + result.reasonPhrase()));
        for (HeaderField header : result.headers()) {
            out.println(header);
        }
        out.println();
        final byte[] body = result.body();
        if (body.length == 0) {
            return;
        }
        final String text = printableText(body);
        if (text != null) {
            out.println(text);
        } else {
            printHex(out, body);
        }
    }

    /**
     * The body as text when it is UTF-8 without control characters other than tab, CR and LF; the record
     * separator that ends a JSON hub message is shown as {@code \x1e}. {@code null} otherwise.
     */
    private static String printableText(byte[] body) {
        final String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        final StringBuilder shown = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c == 0x1E) {
                shown.append("\\x1e");
            } else if ((c < ' ' && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) {
                return null;
            } else {
                shown.append(c);
            }
        }
        return shown.toString();
    }

    private static void printHex(PrintWriter out, byte[] body) {
        for (int offset = 0; offset < body.length; offset += 16) {
            final StringBuilder line = new StringBuilder(80).append(String.format("%08x ", offset));
            final StringBuilder ascii = new StringBuilder(16);
            for (int i = offset; i < offset + 16; i++) {
                if (i < body.length) {
                    line.append(String.format(" %02x", body[i] & 0xFF));
                    ascii.append(body[i] >= 0x20 && body[i] < 0x7F ? (char) body[i] : '.');
                } else {
                    line.append("   ");
                }
            }
            out.println(line.append("  |").append(ascii).append('|'));
        }
    }
}
