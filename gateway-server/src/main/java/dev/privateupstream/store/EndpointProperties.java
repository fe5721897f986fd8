package dev.privateupstream.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.net.IpPrefix;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The body of {@code PUT /api/shared-private-endpoints/{name}}: {@code {"properties":{...}}} (SPEC §7),
 * checked field by field. The rules between endpoints (no prefix or link id twice, a resource id some
 * upstream has) are the configuration's and are checked when the change is validated.
 *
 * @param groupId required
 * @param privateLinkResourceId required
 * @param requestMessage optional, {@code null} when absent
 * @param description optional, {@code null} when absent
 * @param privateIps may be empty when {@code linkId} is given
 * @param linkId optional, {@code null} when absent
 */
public record EndpointProperties(String groupId, String privateLinkResourceId, String requestMessage, String description,
        List<IpPrefix> privateIps, LinkId linkId) {

    private static final String KNOWN =
            "groupId, privateLinkResourceId, requestMessage, description, privateIps, linkId";

    public EndpointProperties {
        requireNonNull(groupId, "groupId");
        requireNonNull(privateLinkResourceId, "privateLinkResourceId");
        privateIps = List.copyOf(privateIps);
    }

    /**
     * Reads a PUT body.
     *
     * @throws InvalidFieldException naming the first field at fault
     */
    public static EndpointProperties parse(JsonNode body) throws InvalidFieldException {
        if (body == null || !body.isObject()) {
            throw new InvalidFieldException("(body)", "expected a JSON object: {\"properties\":{...}}");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            final String name = names.next();
            if (!name.equals("properties")) {
                throw new InvalidFieldException(name, "unknown field (expected: properties)");
            }
        }
        final JsonNode properties = body.get("properties");
        if (properties == null || !properties.isObject()) {
            throw new InvalidFieldException("properties", "required: an object with groupId, privateLinkResourceId, "
                    + "and privateIps, linkId or both");
        }
        for (Iterator<String> names = properties.fieldNames(); names.hasNext(); ) {
            final String name = names.next();
            switch (name) {
                case "groupId", "privateLinkResourceId", "requestMessage", "description", "privateIps", "linkId" -> {
                }
                case "status" -> throw new InvalidFieldException("properties.status", "is read-only: a new endpoint "
                        + "starts Pending and an update keeps its status; POST .../approve or .../reject changes it");
                case "provisioningState" -> throw new InvalidFieldException("properties.provisioningState",
                        "is read-only: the gateway reports it");
                default -> throw new InvalidFieldException("properties." + name, "unknown field (expected: " + KNOWN + ")");
            }
        }
        final String groupId = requiredText(properties, "groupId", "the private link sub-resource, such as sites");
        final String resourceId = requiredText(properties, "privateLinkResourceId",
                "the resourceId of an upstream");
        final String requestMessage = optionalText(properties, "requestMessage");
        final String description = optionalText(properties, "description");
        final List<IpPrefix> privateIps = privateIps(properties.get("privateIps"));
        final LinkId linkId = linkId(properties.get("linkId"));
        if (privateIps.isEmpty() && linkId == null) {
            throw new InvalidFieldException("properties.privateIps", "required: privateIps, linkId or both "
                    + "(the addresses calls through this endpoint come from, or its PROXY v2 link id)");
        }
        return new EndpointProperties(groupId, resourceId, requestMessage, description, privateIps, linkId);
    }

    /**
     * Reads the optional body of approve and reject: nothing, or {@code {"description":"..."}}.
     *
     * @return the description, or {@code null} to keep the current one
     */
    public static String parseDescription(JsonNode body) throws InvalidFieldException {
        if (body == null || body.isNull() || body.isMissingNode()) {
            return null;
        }
        if (!body.isObject()) {
            throw new InvalidFieldException("(body)", "expected nothing or a JSON object: {\"description\":\"...\"}");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            final String name = names.next();
            if (!name.equals("description")) {
                throw new InvalidFieldException(name, "unknown field (expected: description)");
            }
        }
        return optionalText(body, "description", "description");
    }

    private static String requiredText(JsonNode properties, String name, String expected) throws InvalidFieldException {
        final JsonNode value = properties.get(name);
        if (value == null || value.isNull()) {
            throw new InvalidFieldException("properties." + name, "required: " + expected);
        }
        if (!value.isTextual()) {
            throw new InvalidFieldException("properties." + name, "expected text: " + expected);
        }
        return value.textValue();
    }

    private static String optionalText(JsonNode properties, String name) throws InvalidFieldException {
        return optionalText(properties, name, "properties." + name);
    }

    private static String optionalText(JsonNode object, String name, String field) throws InvalidFieldException {
        final JsonNode value = object.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new InvalidFieldException(field, "expected text");
        }
        return value.textValue();
    }

    private static List<IpPrefix> privateIps(JsonNode value) throws InvalidFieldException {
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new InvalidFieldException("properties.privateIps",
                    "expected a list of addresses or CIDR prefixes, such as [\"10.1.0.4\"]");
        }
        final List<IpPrefix> prefixes = new ArrayList<>(value.size());
        for (int i = 0; i < value.size(); i++) {
            final JsonNode item = value.get(i);
            final String field = "properties.privateIps[" + i + "]";
            if (!item.isTextual()) {
                throw new InvalidFieldException(field, "expected an address or CIDR prefix as text, such as \"10.1.0.4\"");
            }
            try {
                prefixes.add(IpPrefix.parse(item.textValue().strip()));
            } catch (IllegalArgumentException e) {
                throw new InvalidFieldException(field, e.getMessage());
            }
        }
        return prefixes;
    }

    private static LinkId linkId(JsonNode value) throws InvalidFieldException {
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0
                || value.longValue() > 0xFFFF_FFFFL) {
            throw new InvalidFieldException("properties.linkId", "expected a whole number from 0 to 4294967295");
        }
        return new LinkId(value.longValue());
    }
}
