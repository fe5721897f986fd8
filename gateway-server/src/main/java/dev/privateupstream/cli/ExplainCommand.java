package dev.privateupstream.cli;

import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.policy.CallFacts;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.policy.PolicySnapshot;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code explain}: the decision the gateway would take for a call, without sending anything. Exit 0
 * allowed, 1 denied ({@code no-route} included), 2 bad input (SPEC §3).
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Print the decision the gateway would take for a call, and why, without sending anything.")
final class ExplainCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--source", required = true, paramLabel = "IP", description = "the caller's address")
    String source;

    @Option(names = "--host", paramLabel = "HOST", description = "the Host header; without it only upstreams without hosts match")
    String host;

    @Option(names = "--link-id", paramLabel = "N", description = "the PROXY v2 private link id the call carries")
    String linkId;

    @Option(names = "--hub", paramLabel = "H", description = "X-ASRS-Hub")
    String hub;

    @Option(names = "--category", paramLabel = "C", description = "X-ASRS-Category")
    String category;

    @Option(names = "--event", paramLabel = "E", description = "X-ASRS-Event")
    String event;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final IpAddress caller;
        final LinkId link;
        try {
            caller = IpAddress.parse(source.trim());
            link = linkId == null ? null : LinkId.parse(linkId);
        } catch (IllegalArgumentException e) {
            err.println("error: " + (e.getMessage().startsWith("linkId") ? "--link-id " : "--source ") + e.getMessage());
            err.flush();
            return GatewayCommand.USAGE;
        }
        final GatewayConfig loaded = config.loadWithEndpoints(err);
        if (loaded == null) {
            return GatewayCommand.USAGE;
        }
        final PolicySnapshot snapshot = PolicySnapshot.of(loaded, 1);
        final Decision decision = snapshot.decide(new CallFacts(caller, link, host, hub, category, event));
        final boolean allowed = decision.allowed();
        out.printf("decision   %s%n", allowed ? "allow" : "deny");
        if (decision instanceof Decision.Deny) {
            final Decision.Deny deny = (Decision.Deny) decision;
            out.printf("reason     %s%n", deny.reason().wireText());
            out.printf("status     %d%n", deny.reason().httpStatus());
        } else {
            out.printf("status     forwarded (the backend answers)%n");
        }
        out.printf("caller     %s (%s)%n", caller.canonical(), caller.addressClass().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        if (link != null) {
            out.printf("link id    %s%n", link);
        }
        out.printf("upstream   %s%n", decision.route() != null ? describe(decision.route())
                : routeOf(snapshot, caller, link));
        out.printf("endpoint   %s%n", decision.endpoint() == null ? "none"
                : decision.endpoint().name() + " (" + decision.endpoint().status() + ", resource "
                        + decision.endpoint().privateLinkResourceId() + ")");
        out.printf("rule       %s%n", decision.rule() == null ? "none: no privateIps prefix or linkId matched" : decision.rule().describe());
        out.printf("signature  not evaluated (explain sends nothing)%n");
        out.printf("request    not evaluated (SignalR request validation needs a real request)%n");
        out.flush();
        return allowed ? 0 : 1;
    }

    private String routeOf(PolicySnapshot snapshot, IpAddress caller, LinkId link) {
        final dev.privateupstream.policy.Route route =
                snapshot.route(new CallFacts(caller, link, host, hub, category, event));
        return route == null ? "none" + (host == null ? " (no --host: only upstreams without hosts can match)" : "")
                : describe(route) + " (not reached: the decision came first)";
    }

    private static String describe(dev.privateupstream.policy.Route route) {
        return route.name() + " -> " + route.upstream().url() + " (resource " + route.upstream().resourceId() + ")";
    }
}
