package dev.privateupstream.policy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.net.IpAddress;

/**
 * What the decision needs to know about one call (SPEC §5).
 *
 * @param caller the resolved caller address (TCP peer, PROXY source or trusted forwarded entry)
 * @param linkId the PROXY v2 private link id the connection carried, or {@code null}
 * @param host the {@code Host} value (any case, port allowed), or {@code null}
 * @param hub {@code X-ASRS-Hub}, or {@code null}
 * @param category {@code X-ASRS-Category}, or {@code null}
 * @param event {@code X-ASRS-Event}, or {@code null}
 */
public record CallFacts(
        IpAddress caller, LinkId linkId, CharSequence host, CharSequence hub, CharSequence category,
        CharSequence event) {

    public CallFacts {
        requireNonNull(caller, "caller");
    }

    /** A call that carries no link id and no SignalR headers. */
    public static CallFacts of(IpAddress caller, CharSequence host) {
        return new CallFacts(caller, null, host, null, null, null);
    }
}
