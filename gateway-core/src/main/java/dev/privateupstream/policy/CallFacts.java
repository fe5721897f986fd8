package dev.privateupstream.policy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.net.IpAddress;

/**
 * What the decision needs to know about one call (SPEC §5), with the routing facts of both services: an
 * upstream reads the SignalR facts or the Web PubSub ones by its {@code protocol} (SPEC §13).
 *
 * @param caller the resolved caller address (TCP peer, PROXY source or trusted forwarded entry)
 * @param linkId the PROXY v2 private link id the connection carried, or {@code null}
 * @param host the {@code Host} value (any case, port allowed), or {@code null}
 * @param hub {@code X-ASRS-Hub}, or {@code null}
 * @param category {@code X-ASRS-Category}, or {@code null}
 * @param event {@code X-ASRS-Event}, or {@code null}
 * @param webPubSubHub {@code ce-hub}, or {@code null}
 * @param webPubSubCategory {@code system} or {@code user} by {@code ce-type}, or {@code null}
 * @param webPubSubEvent {@code ce-eventName}, or {@code null}
 * @param handshake the call is Web PubSub's abuse-protection handshake ({@code OPTIONS} with
 *        {@code WebHook-Request-Origin}), which names no hub or event: a Web PubSub upstream takes it by host
 */
public record CallFacts(
        IpAddress caller, LinkId linkId, CharSequence host, CharSequence hub, CharSequence category,
        CharSequence event, CharSequence webPubSubHub, CharSequence webPubSubCategory, CharSequence webPubSubEvent,
        boolean handshake) {

    public CallFacts {
        requireNonNull(caller, "caller");
    }

    /** A SignalR call, or any call without Web PubSub facts. */
    public CallFacts(IpAddress caller, LinkId linkId, CharSequence host, CharSequence hub, CharSequence category,
            CharSequence event) {
        this(caller, linkId, host, hub, category, event, null, null, null, false);
    }

    /** A call that carries no link id and no SignalR or Web PubSub headers. */
    public static CallFacts of(IpAddress caller, CharSequence host) {
        return new CallFacts(caller, null, host, null, null, null);
    }
}
