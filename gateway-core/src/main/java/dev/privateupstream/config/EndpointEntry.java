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
        if (lineDelta == 0 && isItem(keyPath, index)) {
            return this; // what nearly every item of a reload is: no string made to tell
        }
        final String from = keyPath;
        final String to = "[" + index + "]";
        final List<Located<IpPrefix>> ips = new ArrayList<>(privateIps.size());
        for (Located<IpPrefix> ip : privateIps) {
            ips.add(ip.moved(from, to, lineDelta));
        }
        return new EndpointEntry(to, line == 0 ? 0 : line + lineDelta, moved(name, from, to, lineDelta),
                moved(privateLinkResourceId, from, to, lineDelta), ips, moved(linkId, from, to, lineDelta),
                endpoint);
    }

    /** Whether {@code keyPath} is {@code "[" + index + "]"}, for an index of 0 or more. */
    static boolean isItem(String keyPath, int index) {
        final int last = keyPath.length() - 1;
        if (last < 2 || keyPath.charAt(0) != '[' || keyPath.charAt(last) != ']') {
            return false;
        }
        int rest = index;
        int at = last - 1;
        do {
            if (at < 1 || keyPath.charAt(at) != '0' + rest % 10) {
                return false;
            }
            rest /= 10;
            at--;
        } while (rest > 0);
        return at == 0;
    }

    private static <T> Located<T> moved(Located<T> located, String from, String to, int lineDelta) {
        return located == null ? null : located.moved(from, to, lineDelta);
    }

    /** {@code 'contoso-spe'}, or the key path when the name is unknown. */
    String label() {
        return name == null ? keyPath : "'" + name.value() + "'";
    }
}
