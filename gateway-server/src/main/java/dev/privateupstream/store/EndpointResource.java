package dev.privateupstream.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.io.IOException;

/**
 * The RESOURCE of SPEC §7: a shared private endpoint in the shape of the cloud API,
 * {@code {"name":..., "properties":{...}}}. The admin API answers it, and the etcd store keeps exactly
 * these bytes under each endpoint's key (SPEC §10).
 */
public final class EndpointResource {
    /** A change is stored before the API answers, so every change the API reports succeeded. */
    static final String PROVISIONING_STATE = "Succeeded";
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private EndpointResource() {
    }

    public static ObjectNode of(SharedPrivateEndpoint endpoint) {
        final ObjectNode resource = MAPPER.createObjectNode();
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

    /** The RESOURCE as UTF-8 JSON bytes: what {@code GET .../NAME} answers and the etcd key holds. */
    public static byte[] bytes(SharedPrivateEndpoint endpoint) {
        try {
            return MAPPER.writeValueAsBytes(of(endpoint));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always serialises", e);
        }
    }

    /**
     * Reads a stored RESOURCE back: the PUT body's fields plus {@code status} (any letter case) and
     * {@code provisioningState} (ignored). The rules between endpoints are checked elsewhere.
     *
     * @throws InvalidFieldException naming the first field at fault
     */
    public static SharedPrivateEndpoint parse(byte[] json) throws InvalidFieldException {
        final JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new InvalidFieldException("(body)", "not valid JSON: " + e.getMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new InvalidFieldException("(body)", "expected a JSON object {\"name\":...,\"properties\":{...}}");
        }
        final ObjectNode copy = ((ObjectNode) tree).deepCopy();
        final JsonNode name = copy.remove("name");
        if (name == null || !name.isTextual()) {
            throw new InvalidFieldException("name", "required: the endpoint's name as text");
        }
        final JsonNode properties = copy.get("properties");
        EndpointStatus status = null;
        if (properties instanceof ObjectNode props) {
            final JsonNode statusNode = props.remove("status");
            props.remove("provisioningState");
            if (statusNode == null || !statusNode.isTextual()) {
                throw new InvalidFieldException("properties.status", "required: Pending, Approved, Rejected, "
                        + "Disconnected or Timeout");
            }
            try {
                status = EndpointStatus.parse(statusNode.textValue());
            } catch (IllegalArgumentException e) {
                throw new InvalidFieldException("properties.status", e.getMessage());
            }
        }
        final EndpointProperties read = EndpointProperties.parse(copy);
        return new SharedPrivateEndpoint(name.textValue(), read.groupId(), read.privateLinkResourceId(),
                read.requestMessage(), status, read.description(), read.privateIps(), read.linkId());
    }

    /** A single address as itself ({@code 10.1.0.4}, as the cloud shows it), a wider prefix in CIDR form. */
    private static String text(IpPrefix prefix) {
        return prefix.length() == prefix.network().bitLength() ? prefix.network().canonical() : prefix.canonical();
    }
}
