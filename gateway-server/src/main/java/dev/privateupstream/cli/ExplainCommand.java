package dev.privateupstream.cli;

import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.IdentityConfig;
import dev.privateupstream.config.UpstreamProtocol;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.policy.CallFacts;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.policy.Route;
import dev.privateupstream.simulator.WebPubSubCall;
import dev.privateupstream.webpubsub.WebPubSubHeaders;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code explain}: the decision the gateway would take for a call, without sending anything. Exit 0
 * allowed, 1 denied ({@code no-route} included), 2 bad input (SPEC §3).
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Print the decision the gateway would take for a call, and why, without sending anything.",
                "It names the upstream, the endpoint and the rule that made the decision.",
                "Without --host only upstreams without hosts can match; signatures and request validation are "
                + "reported as not evaluated."},
        footer = {"  java -jar gateway.jar explain -c gateway.yaml --source 10.1.0.4 \\",
                "      --host func-a.example",
                "  java -jar gateway.jar explain -c gateway.yaml --source 10.2.0.4 \\",
                "      --link-id 520093697 --hub chat --category messages --event broadcast",
                "  java -jar gateway.jar explain -c gateway.yaml --service webpubsub \\",
                "      --source 10.1.0.4 --hub chat --event connect"},
        exitCodeList = {"0:allowed", "1:denied (no-route included)", "2:bad input or configuration"})
final class ExplainCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--source", required = true, paramLabel = "IP", description = "the caller's address")
    String source;

    @Option(names = "--host", paramLabel = "HOST", description = "the Host header; without it only upstreams without hosts match")
    String host;

    @Option(names = "--link-id", paramLabel = "N", description = "the PROXY v2 private link id the call carries")
    String linkId;

    @Option(names = "--service", paramLabel = "signalr|webpubsub", defaultValue = "signalr",
            description = "whose call: SignalR's X-ASRS-* headers or Web PubSub's ce-* headers "
                    + "(default: ${DEFAULT-VALUE})")
    String service;

    @Option(names = "--hub", paramLabel = "H", description = "X-ASRS-Hub (webpubsub: ce-hub)")
    String hub;

    @Option(names = "--category", paramLabel = "C",
            description = "X-ASRS-Category (webpubsub: system or user; by default from --event)")
    String category;

    @Option(names = "--event", paramLabel = "E", description = "X-ASRS-Event (webpubsub: ce-eventName)")
    String event;

    @Option(names = "--handshake", description = "webpubsub: the abuse-protection OPTIONS, which names no hub or event")
    boolean handshake;

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
        final CallFacts facts;
        try {
            facts = facts(caller, link);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return GatewayCommand.USAGE;
        }
        final GatewayConfig loaded = config.loadWithEndpoints(err);
        if (loaded == null) {
            return GatewayCommand.USAGE;
        }
        final PolicySnapshot snapshot = PolicySnapshot.of(loaded, 1);
        final Decision decision = snapshot.decide(facts);
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
                : routeOf(snapshot, facts));
        out.printf("endpoint   %s%n", decision.endpoint() == null ? "none"
                : decision.endpoint().name() + " (" + decision.endpoint().status() + ", resource "
                        + decision.endpoint().privateLinkResourceId() + ")");
        out.printf("rule       %s%n", decision.rule() == null ? "none: no privateIps prefix or linkId matched" : decision.rule().describe());
        final Route route = decision.route() != null ? decision.route() : snapshot.route(facts);
        final UpstreamProtocol protocol = route == null ? null : route.protocol();
        if (protocol == UpstreamProtocol.WEBPUBSUB && facts.handshake() && !snapshot.allowedOrigins().isEmpty()) {
            out.printf("handshake  answered by the gateway (webpubsub.allowedOrigins), never forwarded%n");
        }
        out.printf("token      %s%n", token(snapshot, protocol));
        out.printf("signature  not evaluated (explain sends nothing)%n");
        out.printf("request    not evaluated (%s request validation needs a real request)%n",
                protocol == UpstreamProtocol.WEBPUBSUB ? "Web PubSub" : "SignalR");
        out.flush();
        return allowed ? 0 : 1;
    }

    /** The call's facts, read as SignalR's or Web PubSub's by {@code --service}. */
    private CallFacts facts(IpAddress caller, LinkId link) {
        switch (service.toLowerCase(Locale.ROOT)) {
            case "signalr":
                if (handshake) {
                    throw new IllegalArgumentException("--handshake: only with --service webpubsub");
                }
                return new CallFacts(caller, link, host, hub, category, event);
            case "webpubsub":
                final String type = category == null ? null : switch (category.toLowerCase(Locale.ROOT)) {
                    case WebPubSubHeaders.CATEGORY_SYSTEM -> WebPubSubHeaders.CATEGORY_SYSTEM;
                    case WebPubSubHeaders.CATEGORY_USER -> WebPubSubHeaders.CATEGORY_USER;
                    default -> throw new IllegalArgumentException("--category " + category
                            + " (expected with --service webpubsub: system or user)");
                };
                final String webPubSubCategory = type != null || event == null ? type
                        : WebPubSubCall.isSystemEvent(event) ? WebPubSubHeaders.CATEGORY_SYSTEM
                        : WebPubSubHeaders.CATEGORY_USER;
                return new CallFacts(caller, link, host, null, null, null, hub, webPubSubCategory, event, handshake);
            default:
                throw new IllegalArgumentException("--service " + service + " (expected: signalr or webpubsub)");
        }
    }

    /** Whether the call's protocol requires a token, and of whom (SPEC §13). */
    private static String token(PolicySnapshot snapshot, UpstreamProtocol protocol) {
        final IdentityConfig identity = protocol == null ? null : snapshot.identity(protocol);
        if (identity == null) {
            return "not required";
        }
        return "required, not evaluated (" + protocol.configName() + ".identity: tenant " + identity.tenantId()
                + ", audiences " + identity.audiences() + ", callers " + identity.allowedCallers() + ")";
    }

    private String routeOf(PolicySnapshot snapshot, CallFacts facts) {
        final Route route = snapshot.route(facts);
        return route == null ? "none" + (host == null ? " (no --host: only upstreams without hosts can match)" : "")
                : describe(route) + " (not reached: the decision came first)";
    }

    private static String describe(Route route) {
        return route.name() + " -> " + route.upstream().url() + " (" + route.protocol().configName() + ", resource "
                + route.upstream().resourceId() + ")";
    }
}
