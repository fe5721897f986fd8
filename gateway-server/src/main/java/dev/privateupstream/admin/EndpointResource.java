package dev.privateupstream.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;

/**
 * The RESOURCE of SPEC §7: a shared private endpoint in the shape of the cloud API,
 * {@code {"name":..., "properties":{...}}}.
 */
final class EndpointResource {
    /** The endpoints file is written before the API answers, so every change the API reports succeeded. */
    static final String PROVISIONING_STATE = "Succeeded";

    private EndpointResource() {
    }

    static ObjectNode of(SharedPrivateEndpoint endpoint) {
        final ObjectNode resource = AdminResponse.object();
        resource.put("name", endpoint.name());
        final ObjectNode properties = resource.putObject("properties");
        properties.put("groupId", endpoint.groupId());
        properties.put("privateLinkResourceId", endpoint.privateLinkResourceId());
        properties.put("requestMessage", endpoint.requestMessage());
        final ArrayNode ips = properties.putArray("privateIps");
        for (IpPrefix prefix : endpoint.privateIps()) {
            ips.add(text(prefix));
        }
        if (endpoint.linkId() != null) {
            properties.put("linkId", endpoint.linkId().value());
        }
        properties.put("status", endpoint.status().wireName());
        properties.put("description", endpoint.description());
        properties.put("provisioningState", PROVISIONING_STATE);
        return resource;
    }

    /** A single address as itself ({@code 10.1.0.4}, as the cloud shows it), a wider prefix in CIDR form. */
    private static String text(IpPrefix prefix) {
        return prefix.length() == prefix.network().bitLength() ? prefix.network().canonical() : prefix.canonical();
    }
}
