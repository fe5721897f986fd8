package dev.privateupstream.cli;

import dev.privateupstream.config.AdminConfig;
import dev.privateupstream.config.AdminToken;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.policy.PolicySnapshot;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code validate --config FILE}: prints a summary, or every error with its location; exit 0 or 2.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Check the configuration and print a summary, or every error with its location.",
                "Each error reads FILE:LINE: key.path: message.",
                "With an etcd store, the endpoint set in force there is read once and checked too."},
        footer = {"  java -jar gateway.jar validate --config gateway.yaml",
                "  java -jar gateway.jar validate -c gateway.yaml && \\",
                "      kubectl apply -k deploy/overlays/standalone"},
        exitCodeList = {"0:valid; a summary is printed", "2:invalid, or bad usage; every error is printed"})
final class ValidateCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final GatewayConfig loaded = config.loadWithEndpoints(spec.commandLine().getErr());
        if (loaded == null) {
            return GatewayCommand.USAGE;
        }
        final PolicySnapshot snapshot = PolicySnapshot.of(loaded, 1);
        out.printf("%s: valid%n", loaded.file());
        out.printf("  listen     %s:%d (proxyProtocol %s, tls %s)%n", loaded.listen().address(),
                loaded.listen().port(), loaded.listen().proxyProtocol().name().toLowerCase(java.util.Locale.ROOT),
                loaded.listen().tls() == null ? "off" : "on");
        out.printf("  admin      %s:%d (%s, tls %s)%n", loaded.admin().address(), loaded.admin().port(),
                adminTokens(loaded.admin()), loaded.admin().tls() == null ? "off"
                        : loaded.admin().tls().clientCa() == null ? "on" : "on, /api/* needs a client certificate");
        for (UpstreamConfig u : loaded.upstreams()) {
            out.printf("  upstream   %s -> %s hosts=%s%n", u.name(), u.url(),
                    u.hosts().isEmpty() ? "any" : String.join(",", u.hosts()));
        }
        final StringBuilder counts = new StringBuilder();
        for (Map.Entry<EndpointStatus, Integer> e : snapshot.endpointCounts().entrySet()) {
            counts.append(counts.length() == 0 ? "" : ", ").append(e.getValue()).append(' ').append(e.getKey());
        }
        out.printf("  endpoints  %d in %s (%s)%n", loaded.endpoints().size(), loaded.endpointStoreName(), counts);
        out.printf("  signalr    %s%n", loaded.signalr() == null ? "off"
                : loaded.signalr().accessKeys().size() + " access keys, requireSignature "
                        + loaded.signalr().requireSignature() + ", validateRequests " + loaded.signalr().validateRequests());
        out.flush();
        return 0;
    }

    /** {@code token set}, or the name and role of every token {@code /api/*} accepts; never a secret. */
    private static String adminTokens(AdminConfig admin) {
        if (admin.accepted().isEmpty()) {
            return "token not set: /api/* refuses every call";
        }
        if (admin.tokens().isEmpty()) {
            return "token set";
        }
        final StringBuilder names = new StringBuilder();
        for (AdminToken token : admin.accepted()) {
            names.append(names.length() == 0 ? "tokens " : ", ").append(token.name()).append(' ')
                    .append(token.role().wireName());
        }
        return names.toString();
    }
}
