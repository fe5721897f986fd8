package dev.privateupstream.admin;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.store.InvalidFieldException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The query of {@code GET /api/shared-private-endpoints} (SPEC §12): which page, and which endpoints.
 *
 * @param top the page size, 1 to {@link #MAX_TOP}
 * @param after the name the page starts after (from a {@code skipToken}), or {@code null} for the first page
 * @param status only endpoints in this status, or {@code null} for all
 * @param search only endpoints whose name holds this text ignoring letter case, or whose {@code privateIps}
 *        hold it when it is an address; {@code null} for all
 */
record EndpointQuery(int top, String after, EndpointStatus status, String search) {
    static final int MAX_TOP = 1000;
    static final int MAX_SEARCH_LENGTH = 256;

    /**
     * Reads the query parameters; unknown ones are ignored, as before there were any.
     *
     * @throws InvalidFieldException naming the parameter at fault
     */
    static EndpointQuery parse(Map<String, List<String>> parameters) throws InvalidFieldException {
        final String topText = single(parameters, "top");
        int top = MAX_TOP;
        if (topText != null) {
            try {
                top = Integer.parseInt(topText);
            } catch (NumberFormatException e) {
                top = -1;
            }
            if (top < 1 || top > MAX_TOP) {
                throw new InvalidFieldException("top", "top: '" + topText + "' (expected: an integer from 1 to "
                        + MAX_TOP + ")");
            }
        }
        final String token = single(parameters, "skipToken");
        String after = null;
        if (token != null) {
            try {
                after = SkipToken.decode(token);
            } catch (IllegalArgumentException e) {
                throw new InvalidFieldException("skipToken", e.getMessage());
            }
        }
        final String statusText = single(parameters, "status");
        EndpointStatus status = null;
        // Empty means no filter, as an "all" choice in a form sends it.
        if (statusText != null && !statusText.isEmpty()) {
            try {
                status = EndpointStatus.parse(statusText);
            } catch (IllegalArgumentException e) {
                throw new InvalidFieldException("status", e.getMessage());
            }
        }
        String search = single(parameters, "search");
        if (search != null && search.length() > MAX_SEARCH_LENGTH) {
            throw new InvalidFieldException("search", "search: " + search.length() + " characters (expected: at most "
                    + MAX_SEARCH_LENGTH + ")");
        }
        if (search != null && search.isEmpty()) {
            search = null;
        }
        return new EndpointQuery(top, after, status, search);
    }

    /** The parameter's value, {@code null} when absent; given twice it is ambiguous. */
    private static String single(Map<String, List<String>> parameters, String name) throws InvalidFieldException {
        final List<String> values = parameters.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw new InvalidFieldException(name, name + " given " + values.size() + " times (expected: once)");
        }
        return values.get(0);
    }

    /** The filter of this query: an endpoint it lets through. */
    Filter filter() {
        return new Filter(status, search, search == null ? null : IpAddress.tryParse(search.strip()));
    }

    /** The link to the page after {@code lastName}, with the same size and filters. */
    String nextLink(String collectionPath, String lastName) {
        final StringBuilder link = new StringBuilder(collectionPath).append("?top=").append(top)
                .append("&skipToken=").append(SkipToken.encode(lastName));
        if (status != null) {
            link.append("&status=").append(status.wireName());
        }
        if (search != null) {
            link.append("&search=").append(URLEncoder.encode(search, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return link.toString();
    }

    /** Whether an endpoint is one the query asks for, whatever the page. */
    record Filter(EndpointStatus status, String search, IpAddress address) {
        boolean matches(SharedPrivateEndpoint endpoint) {
            if (status != null && endpoint.status() != status) {
                return false;
            }
            return search == null || containsIgnoreCase(endpoint.name(), search) || holds(endpoint, address);
        }

        private static boolean holds(SharedPrivateEndpoint endpoint, IpAddress address) {
            if (address == null) {
                return false;
            }
            for (IpPrefix prefix : endpoint.privateIps()) {
                if (prefix.contains(address)) {
                    return true;
                }
            }
            return false;
        }

        /** Without lower-casing copies: a search scans up to 100,000 names. */
        private static boolean containsIgnoreCase(String text, String part) {
            final int last = text.length() - part.length();
            for (int i = 0; i <= last; i++) {
                if (text.regionMatches(true, i, part, 0, part.length())) {
                    return true;
                }
            }
            return false;
        }
    }
}
