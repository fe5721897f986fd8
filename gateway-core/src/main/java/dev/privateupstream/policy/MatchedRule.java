package dev.privateupstream.policy;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;

/**
 * The rule that tied a call to an endpoint: one of its {@code privateIps} prefixes, or its {@code linkId}.
 *
 * @param endpoint the endpoint the rule belongs to
 * @param prefix the prefix that held the caller (the longest), or {@code null} when matched by link id
 */
public record MatchedRule(SharedPrivateEndpoint endpoint, IpPrefix prefix) {

    public MatchedRule {
        requireNonNull(endpoint, "endpoint");
    }

    /** Whether the endpoint was matched by its link id rather than by address. */
    public boolean byLinkId() {
        return prefix == null;
    }

    /** For people: {@code privateIps 10.1.0.0/28 of contoso-spe} or {@code linkId 520093697 of contoso-spe}. */
    public String describe() {
        return (prefix == null ? "linkId " + endpoint.linkId() : "privateIps " + prefix.canonical())
                + " of " + endpoint.name();
    }

    @Override
    public String toString() {
        return describe();
    }
}
