package dev.privateupstream.config;

import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.util.ArrayList;
import java.util.List;

/**
 * One endpoint with the places its checked values came from, so that {@link EndpointRules} can point at
 * both sides of a clash. Fields that could not be read are {@code null} (their error already reported).
 *
 * @param keyPath {@code [2]}
 * @param line the entry's line, or 0 when it did not come from a file
 * @param endpoint the endpoint, or {@code null} when a required field is missing or invalid
 */
record EndpointEntry(
        String keyPath,
        int line,
        Located<String> name,
        Located<String> privateLinkResourceId,
        List<Located<IpPrefix>> privateIps,
        Located<LinkId> linkId,
        SharedPrivateEndpoint endpoint) {

    EndpointEntry {
        privateIps = List.copyOf(privateIps);
    }

    /** An endpoint not read from a file (the admin API's proposal), at index {@code index}, line 0. */
    static EndpointEntry of(SharedPrivateEndpoint endpoint, int index) {
        String path = "[" + index + "]";
        List<Located<IpPrefix>> ips = new ArrayList<>();
        for (int i = 0; i < endpoint.privateIps().size(); i++) {
            ips.add(new Located<>(endpoint.privateIps().get(i), path + ".privateIps[" + i + "]", 0));
        }
        return new EndpointEntry(path, 0, new Located<>(endpoint.name(), path + ".name", 0),
                new Located<>(endpoint.privateLinkResourceId(), path + ".privateLinkResourceId", 0), ips,
                endpoint.linkId() == null ? null : new Located<>(endpoint.linkId(), path + ".linkId", 0), endpoint);
    }

    /**
     * This entry as item {@code index} of its file, {@code lineDelta} lines further down: for an item read
     * before and found again unchanged at another place ({@link ParsedItems}).
     */
    EndpointEntry moved(int index, int lineDelta) {
        final String from = keyPath;
        final String to = "[" + index + "]";
        if (from.equals(to) && lineDelta == 0) {
            return this;
        }
        final List<Located<IpPrefix>> ips = new ArrayList<>(privateIps.size());
        for (Located<IpPrefix> ip : privateIps) {
            ips.add(ip.moved(from, to, lineDelta));
        }
        return new EndpointEntry(to, line == 0 ? 0 : line + lineDelta, moved(name, from, to, lineDelta),
                moved(privateLinkResourceId, from, to, lineDelta), ips, moved(linkId, from, to, lineDelta),
                endpoint);
    }

    private static <T> Located<T> moved(Located<T> located, String from, String to, int lineDelta) {
        return located == null ? null : located.moved(from, to, lineDelta);
    }

    /** {@code 'contoso-spe'}, or the key path when the name is unknown. */
    String label() {
        return name == null ? keyPath : "'" + name.value() + "'";
    }
}
