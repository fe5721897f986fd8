package dev.privateupstream.config;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the endpoints file's document, a list of endpoints (SPEC §4), into {@link EndpointEntry}s; the
 * rules between entries are {@link EndpointRules}'.
 */
final class EndpointsYaml {
    static final List<String> KEYS = List.of("name", "groupId", "privateLinkResourceId", "requestMessage",
            "status", "description", "privateIps", "linkId");

    private EndpointsYaml() {
    }

    static List<EndpointEntry> read(YamlNode root, ConfigSource source) {
        if (root instanceof YamlNode.Scalar scalar && scalar.text() == null) {
            source.error(root.line(), YamlTree.DOCUMENT, "empty file (expected: a list of endpoints; [] for none)");
            return List.of();
        }
        List<EndpointEntry> entries = new ArrayList<>();
        for (Located<YamlNode> item : source.items(root, "", "a list of endpoints (- name: ...); [] for none")) {
            MappingReader m = MappingReader.of(source, item.value(), item.keyPath(), KEYS);
            if (m != null) {
                entries.add(entry(m));
            }
        }
        return entries;
    }

    private static EndpointEntry entry(MappingReader m) {
        Located<String> name = m.required("name", "the endpoint's name", EndpointRules::name);
        Located<String> groupId = m.required("groupId", "the private link sub-resource, such as sites",
                EndpointRules::identifier);
        Located<String> resourceId = m.required("privateLinkResourceId", "the resource id of an upstream",
                EndpointRules::identifier);
        String requestMessage = m.text("requestMessage");
        Located<EndpointStatus> status = m.required("status",
                "Pending, Approved, Rejected, Disconnected or Timeout", EndpointStatus::parse);
        String description = m.text("description");
        int errorsBefore = m.source().errors().size();
        List<Located<IpPrefix>> privateIps = m.list("privateIps", IpPrefix::parse);
        Located<LinkId> linkId = m.located("linkId", EndpointRules::linkId);
        boolean identified = !privateIps.isEmpty() || linkId != null;
        if (!identified && m.source().errors().size() == errorsBefore) {
            m.source().error(m.line(), m.path(), "declares neither privateIps nor linkId (expected: one or both)");
        }
        SharedPrivateEndpoint endpoint = null;
        if (name != null && groupId != null && resourceId != null && status != null && identified) {
            endpoint = new SharedPrivateEndpoint(name.value(), groupId.value(), resourceId.value(), requestMessage,
                    status.value(), description, Located.values(privateIps),
                    linkId == null ? null : linkId.value());
        }
        return new EndpointEntry(m.path(), m.line(), name, resourceId, privateIps, linkId, endpoint);
    }
}
