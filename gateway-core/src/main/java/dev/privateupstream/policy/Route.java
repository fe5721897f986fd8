package dev.privateupstream.policy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.config.UpstreamProtocol;
import java.util.List;

/**
 * An upstream compiled for routing: its {@code hosts} and its patterns (SPEC §4 "Routing"), which match the
 * SignalR facts of a call or, for a {@code webpubsub} upstream, its Web PubSub facts (SPEC §13).
 *
 * @param index the upstream's position in the configuration, which is also its routing priority
 * @param upstream the upstream's configuration
 * @param hub the hub pattern
 * @param category the category pattern
 * @param event the event pattern
 */
public record Route(int index, UpstreamConfig upstream, NamePattern hub, NamePattern category, NamePattern event) {

    public Route {
        requireNonNull(upstream, "upstream");
        requireNonNull(hub, "hub");
        requireNonNull(category, "category");
        requireNonNull(event, "event");
    }

    static Route of(int index, UpstreamConfig upstream) {
        return new Route(index, upstream, NamePattern.parse(upstream.hubPattern()),
                NamePattern.parse(upstream.categoryPattern()), NamePattern.parse(upstream.eventPattern()));
    }

    public String name() {
        return upstream.name();
    }

    /** Whether this upstream serves a call with these facts. */
    public boolean matches(CallFacts facts) {
        if (!matchesHost(facts.host())) {
            return false;
        }
        if (upstream.protocol() == UpstreamProtocol.WEBPUBSUB) {
            return facts.handshake() || hub.matches(facts.webPubSubHub())
                    && category.matches(facts.webPubSubCategory()) && event.matches(facts.webPubSubEvent());
        }
        return hub.matches(facts.hub()) && category.matches(facts.category()) && event.matches(facts.event());
    }

    public UpstreamProtocol protocol() {
        return upstream.protocol();
    }

    /**
     * Whether {@code host} (a {@code Host} header value, any case, with or without port) is one of this
     * upstream's hosts; an upstream without hosts takes any Host, and an absent Host only those.
     */
    public boolean matchesHost(CharSequence host) {
        final List<String> hosts = upstream.hosts();
        final int count = hosts.size();
        if (count == 0) {
            return true;
        }
        if (host == null) {
            return false;
        }
        final int end = hostEnd(host);
        for (int i = 0; i < count; i++) { // indexed: no iterator on the hot path
            final String h = hosts.get(i);
            if (h.length() == end && NamePattern.prefixEqualsIgnoreCase(h, host)) {
                return true;
            }
        }
        return false;
    }

    /** The length of the host part of a Host value: without {@code :port}, brackets kept for IPv6. */
    private static int hostEnd(CharSequence host) {
        final int n = host.length();
        if (n > 0 && host.charAt(0) == '[') {
            for (int i = 1; i < n; i++) {
                if (host.charAt(i) == ']') {
                    return i + 1;
                }
            }
            return n;
        }
        for (int i = n - 1; i >= 0; i--) {
            final char c = host.charAt(i);
            if (c == ':') {
                return i;
            }
            if (c < '0' || c > '9') {
                return n;
            }
        }
        return n;
    }
}
