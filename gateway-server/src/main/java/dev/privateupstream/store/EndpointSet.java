package dev.privateupstream.store;

import java.util.List;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;

/**
 * A whole set of shared private endpoints as a store holds it at one revision.
 *
 * @param endpoints every endpoint, in store order
 * @param revision the store's revision of this set: for etcd the revision of the newest change under the
 *        endpoints prefix (SPEC §10), for the file a count of the sets this process has read or written
 */
public record EndpointSet(List<SharedPrivateEndpoint> endpoints, long revision) {
    public EndpointSet {
        endpoints = List.copyOf(endpoints);
    }
}
