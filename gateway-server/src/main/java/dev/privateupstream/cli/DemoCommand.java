package dev.privateupstream.cli;

import dev.privateupstream.GatewayServer;
import dev.privateupstream.config.ConfigException;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.simulator.FunctionsBackend;
import dev.privateupstream.simulator.ReceivedRequest;
import dev.privateupstream.simulator.UpstreamCall;
import dev.privateupstream.simulator.UpstreamCallResult;
import dev.privateupstream.simulator.UpstreamCallSender;
import dev.privateupstream.simulator.WebPubSubCall;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * {@code demo}: a Functions-like SignalR and Web PubSub backend, the gateway in front of it, three real
 * SignalR upstream calls (approved endpoint, pending endpoint, public network) and three Web PubSub calls
 * (the abuse-protection handshake, a connect event, a forged signature) printed with their outcome; then runs
 * until interrupted (SPEC §3, §13).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start a demo backend and the gateway on loopback, send sample calls, keep running.",
                "The ports are free ones, printed. The sample SignalR and Web PubSub calls print one line each "
                + "with their status and reason; the gateway then runs until interrupted, with its admin page "
                + "open to try approvals."},
        footer = {"  java -jar gateway.jar demo",
                "  DEMO_ADMIN_TOKEN=secret java -jar gateway.jar demo --access-log"},
        exitCodeList = {"0:interrupted after a clean stop", "2:the demo could not start"})
final class DemoCommand implements Callable<Integer> {
    private static final String[] FILES = {"gateway.yaml", "endpoints.yaml"};

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--access-log", description = "also print the access log (JSON lines) on standard output")
    boolean accessLog;

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        if (!accessLog) {
            // Keep the demo's own lines readable; the access log is one flag away.
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("gateway.access"))
                    .setLevel(ch.qos.logback.classic.Level.OFF);
        }
        // A key or token set in the environment is kept, so a README walkthrough can use known values.
        final String key = System.getenv().getOrDefault("DEMO_SIGNALR_KEY", randomHex(32));
        final String webPubSubKey = System.getenv().getOrDefault("DEMO_WEBPUBSUB_KEY", randomHex(32));
        final String token = System.getenv().getOrDefault("DEMO_ADMIN_TOKEN", randomHex(16));
        try (FunctionsBackend backend = FunctionsBackend.start(List.of(key, webPubSubKey))) {
            final Path dir = Files.createTempDirectory("gateway-demo");
            for (String name : FILES) {
                try (InputStream in = DemoCommand.class.getResourceAsStream("/demo/" + name)) {
                    Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            final Map<String, String> env = new HashMap<>(System.getenv());
            env.put("DEMO_BACKEND_PORT", Integer.toString(backend.port()));
            env.put("DEMO_SIGNALR_KEY", key);
            env.put("DEMO_WEBPUBSUB_KEY", webPubSubKey);
            env.put("DEMO_ADMIN_TOKEN", token);
            final ConfigLoader loader = new ConfigLoader(env);
            final GatewayConfig config;
            try {
                config = loader.load(dir.resolve("gateway.yaml"));
            } catch (ConfigException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return GatewayCommand.USAGE;
            }
            // The same loader for reloads: the demo's files use ${DEMO_...} variables of this environment.
            // Taken before anything is printed: a SIGTERM right after "running" must drain, not kill.
            final CountDownLatch stop = new CountDownLatch(1);
            Signals.onTerminate(stop::countDown);
            final GatewayServer server = GatewayServer.start(config, loader, new GatewayMetrics(), 2);
            try {
                final URI proxy = URI.create("http://127.0.0.1:" + server.listenAddress().getPort()
                        + UpstreamCall.FUNCTIONS_PATH);
                out.printf("demo backend   http://127.0.0.1:%d (behaves like Azure Functions SignalR and Web PubSub "
                        + "triggers)%n",
                        backend.port());
                out.printf("gateway proxy  http://127.0.0.1:%d%n", server.listenAddress().getPort());
                out.printf("admin page     http://127.0.0.1:%d/ (token %s)%n", server.adminAddress().getPort(), token);
                out.printf("configuration  %s%n", dir.resolve("gateway.yaml"));
                out.println();
                out.println("sample SignalR upstream calls (connected events, signed with the demo access key):");
                out.flush();
                final UpstreamCallSender sender = new UpstreamCallSender(Duration.ofSeconds(5), Duration.ofSeconds(15));
                call(out, sender, backend, proxy, key, "approved endpoint", "127.0.0.10");
                call(out, sender, backend, proxy, key, "pending endpoint ", "127.0.0.20");
                call(out, sender, backend, proxy, key, "public network   ", "127.0.0.1");
                out.println();
                out.println("sample Web PubSub event-handler calls (CloudEvents, from the approved endpoint):");
                final URI webPubSub = URI.create("http://127.0.0.1:" + server.listenAddress().getPort()
                        + WebPubSubCall.FUNCTIONS_PATH);
                webPubSubCall(out, sender, backend, webPubSub, "abuse protection",
                        WebPubSubCall.handshake(WebPubSubCall.DEFAULT_ORIGIN).build());
                webPubSubCall(out, sender, backend, webPubSub, "connect event   ", WebPubSubCall.event(
                        WebPubSubCall.DEFAULT_ORIGIN, "chat", "demo-wps-1", "alice", WebPubSubCall.SYSTEM_CONNECT,
                        null, List.of(webPubSubKey)).build());
                webPubSubCall(out, sender, backend, webPubSub, "forged signature", WebPubSubCall.event(
                        WebPubSubCall.DEFAULT_ORIGIN, "chat", "demo-wps-1", "alice", "message", "hello",
                        List.of(randomHex(32))).build());
                out.println();
                out.println("try it yourself:");
                out.printf("  java -jar gateway.jar send --url %s --source 127.0.0.10 --key %s%n", proxy, key);
                out.printf("  java -jar gateway.jar send --service webpubsub --event message --data hi --url %s "
                        + "--source 127.0.0.10 --key %s%n", webPubSub, webPubSubKey);
                out.printf("  open the admin page, enter the token, approve demo-signalr-pending, then send from "
                        + "127.0.0.20%n");
                out.println("running; press Ctrl+C to stop");
                out.flush();
                stop.await();
                server.drain(Duration.ofSeconds(5));
            } finally {
                server.close();
                for (String name : FILES) {
                    Files.deleteIfExists(dir.resolve(name));
                }
                Files.deleteIfExists(dir);
            }
        }
        return 0;
    }

    private static void call(PrintWriter out, UpstreamCallSender sender, FunctionsBackend backend, URI proxy,
            String key, String label, String source) {
        backend.clear();
        final String connectionId = "demo-" + source.replace('.', '-');
        final UpstreamCall call = UpstreamCall.connected(UpstreamCall.DEFAULT_HUB, connectionId).toBuilder()
                .accessKeys(key).build();
        try {
            final UpstreamCallResult result = sender.send(InetAddress.getByName(source), proxy, call);
            final String reason = result.header("X-Gateway-Deny-Reason");
            if (reason == null) {
                final List<ReceivedRequest> seen = backend.received();
                out.printf("  %s from %-10s -> %d forwarded; the backend saw X-Forwarded-For: %s%n", label, source,
                        result.status(), seen.isEmpty() ? "(nothing)" : seen.get(0).forwardedFor());
            } else {
                out.printf("  %s from %-10s -> %d %s (not forwarded)%n", label, source, result.status(), reason);
            }
        } catch (IOException e) {
            out.printf("  %s from %-10s -> failed: %s%n", label, source, e.getMessage());
        }
        out.flush();
    }

    private static void webPubSubCall(PrintWriter out, UpstreamCallSender sender, FunctionsBackend backend,
            URI proxy, String label, UpstreamCall call) {
        backend.clear();
        try {
            final UpstreamCallResult result = sender.send(InetAddress.getByName("127.0.0.10"), proxy, call);
            final String reason = result.header("X-Gateway-Deny-Reason");
            final String allowed = result.header("WebHook-Allowed-Origin");
            if (reason != null) {
                out.printf("  %s -> %d %s (not forwarded)%n", label, result.status(), reason);
            } else if (backend.received().isEmpty()) {
                out.printf("  %s -> %d answered by the gateway (WebHook-Allowed-Origin: %s)%n", label,
                        result.status(), allowed);
            } else {
                out.printf("  %s -> %d forwarded; the backend answered %s%n", label, result.status(),
                        new String(result.body(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            out.printf("  %s -> failed: %s%n", label, e.getMessage());
        }
        out.flush();
    }

    private static String randomHex(int bytes) {
        final byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
