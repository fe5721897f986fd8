package dev.privateupstream.endpoint;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.net.IpPrefix;
import java.util.List;

/**
 * A shared private endpoint as declared in the endpoints file or through the admin API (SPEC §4, §7).
 *
 * @param name the endpoint's unique name
 * @param groupId the private link sub-resource, for example {@code sites}
 * @param privateLinkResourceId the resource id of the backend it reaches; must equal an upstream's
 *        {@code resourceId} for calls to that upstream to be allowed
 * @param requestMessage the message the requester left for the approver, or empty
 * @param status the approval state
 * @param description the approver's description, or empty
 * @param privateIps the private addresses calls through this endpoint come from; may be empty when a
 *        link id is declared
 * @param linkId the PROXY v2 private link id, or {@code null}
 */
public record SharedPrivateEndpoint(
        String name,
        String groupId,
        String privateLinkResourceId,
        String requestMessage,
        EndpointStatus status,
        String description,
        List<IpPrefix> privateIps,
        LinkId linkId) {

    public SharedPrivateEndpoint {
        requireNonNull(name, "name");
        requireNonNull(groupId, "groupId");
        requireNonNull(privateLinkResourceId, "privateLinkResourceId");
        requestMessage = requestMessage == null ? "" : requestMessage;
        requireNonNull(status, "status");
        description = description == null ? "" : description;
        privateIps = List.copyOf(requireNonNull(privateIps, "privateIps"));
        if (privateIps.isEmpty() && linkId == null) {
            throw new IllegalArgumentException(
                    "endpoint " + name + ": declares neither privateIps nor linkId (expected one or both)");
        }
    }

    /** This endpoint with another status and, when not {@code null}, another description. */
    public SharedPrivateEndpoint withStatus(EndpointStatus newStatus, String newDescription) {
        return new SharedPrivateEndpoint(name, groupId, privateLinkResourceId, requestMessage, newStatus,
                newDescription == null ? description : newDescription, privateIps, linkId);
    }
}
