package dev.privateupstream.store;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.util.List;

/**
 * One change to the shared private endpoints, as the admin API asks for it (SPEC §7): given the endpoints
 * in force, the list it proposes instead.
 *
 * <p>It runs on the configuration thread against the latest endpoints, so two changes made at the same
 * time both land: neither is computed from a list the other has already replaced.
 */
@FunctionalInterface
public interface EndpointChange {

    /**
     * The proposed endpoints, or {@code null} when the change does not apply (it names an endpoint that
     * does not exist).
     */
    Proposal propose(List<SharedPrivateEndpoint> current);

    /**
     * A proposed list of endpoints.
     *
     * @param endpoints every endpoint after the change, in store order
     * @param changed the endpoint created or changed, or {@code null} when one was removed; validation
     *        errors about it are reported relative to it
     * @param created whether {@code changed} is new
     * @param removed the endpoint removed, or {@code null}; a store that keeps one key per endpoint deletes
     *        its key
     * @param audit the record of the change (SPEC §12) that the store keeps with it, in the same write where
     *        it can; {@code null} for none
     */
    record Proposal(List<SharedPrivateEndpoint> endpoints, SharedPrivateEndpoint changed, boolean created,
            SharedPrivateEndpoint removed, AuditRecord audit) {
        public Proposal {
            endpoints = List.copyOf(requireNonNull(endpoints, "endpoints"));
            if (changed != null && removed != null) {
                throw new IllegalArgumentException("changed and removed: expected at most one");
            }
        }

        /** {@code created NAME (Approved)}, {@code changed NAME (...)} or {@code removed NAME}, for logs. */
        public String describe() {
            if (removed != null) {
                return "removed " + removed.name();
            }
            return changed == null ? "nothing changed"
                    : (created ? "created " : "changed ") + changed.name() + " (" + changed.status() + ")";
        }

        /** A proposal without an audit record. */
        public Proposal(List<SharedPrivateEndpoint> endpoints, SharedPrivateEndpoint changed, boolean created,
                SharedPrivateEndpoint removed) {
            this(endpoints, changed, created, removed, null);
        }

        /** This proposal with {@code record} to keep. */
        public Proposal audited(AuditRecord record) {
            return new Proposal(endpoints, changed, created, removed, record);
        }

        /** A proposal that creates or changes {@code changed}. */
        public Proposal(List<SharedPrivateEndpoint> endpoints, SharedPrivateEndpoint changed, boolean created) {
            this(endpoints, changed, created, null);
        }
    }
}
