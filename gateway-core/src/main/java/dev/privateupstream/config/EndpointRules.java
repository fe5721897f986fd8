package dev.privateupstream.config;

import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.net.IpPrefix;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules the endpoints must follow, for the endpoints file and for the admin API's proposals alike
 * (SPEC §4, §7): well-formed fields, unique names, no prefix or {@code linkId} claimed by two endpoints,
 * and a {@code privateLinkResourceId} that some upstream serves.
 */
final class EndpointRules {
    // The name is a path segment of the admin API (/api/shared-private-endpoints/{name}): keep it to
    // characters that need no escaping there, as for upstream names.
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern DIGITS = Pattern.compile("\\d{1,10}");

    private EndpointRules() {
    }

    static String name(String text) {
        if (!NAME.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' (expected: letters, digits, '.', '_' and '-' only)");
        }
        return text;
    }

    /** Text that is neither blank nor padded: {@code groupId} and {@code privateLinkResourceId}. */
    static String identifier(String text) {
        if (text.isBlank() || !text.equals(text.trim())) {
            throw new IllegalArgumentException("'" + text + "' (expected: text without surrounding spaces)");
        }
        return text;
    }

    static LinkId linkId(String text) {
        String trimmed = text.trim();
        long value = DIGITS.matcher(trimmed).matches() ? Long.parseLong(trimmed) : -1;
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("'" + text + "' (expected: a whole number from 0 to 4294967295)");
        }
        return new LinkId(value);
    }

    /**
     * Checks the endpoints against each other and against the upstreams' resource ids.
     *
     * @param resourceIds the upstreams' resource ids, or {@code null} to skip that check
     * @return what the set claims, for checking its next changes alone; {@code null} when it broke a rule
     */
    static RuleIndex check(List<EndpointEntry> entries, List<String> resourceIds, Path file, ConfigErrors errors) {
        final int errorsBefore = errors.size();
        // Sized up front and keyed by value, not text: at 100,000 endpoints rehashing and building each
        // prefix's text were most of this check's time.
        int claimed = 0;
        for (EndpointEntry entry : entries) {
            claimed += entry.privateIps().size();
        }
        Map<String, EndpointEntry> names = new HashMap<>(capacity(entries.size()));
        Map<IpPrefix, Claim<IpPrefix>> prefixes = new HashMap<>(capacity(claimed));
        Map<Long, Claim<LinkId>> linkIds = new HashMap<>();
        for (EndpointEntry entry : entries) {
            if (entry.name() != null) {
                // Azure resource names are case-insensitive; two names differing only in case would
                // be the same endpoint there.
                EndpointEntry first = names.putIfAbsent(entry.name().value().toLowerCase(Locale.ROOT), entry);
                if (first != null) {
                    errors.add(file, entry.name().line(), entry.name().keyPath(), entry.label()
                            + " is already the name of another endpoint (" + first.name().where() + ")");
                }
            }
            for (Located<IpPrefix> prefix : entry.privateIps()) {
                Claim<IpPrefix> first = prefixes.putIfAbsent(prefix.value(), new Claim<>(entry, prefix));
                if (first == null) {
                    continue;
                }
                String canonical = prefix.value().canonical();
                if (first.entry() == entry) {
                    errors.add(file, prefix.line(), prefix.keyPath(), canonical
                            + " is listed twice in this endpoint (also " + first.value().where() + ")");
                } else {
                    errors.add(file, prefix.line(), prefix.keyPath(), canonical + " is declared by both "
                            + first.entry().label() + " (" + first.value().where() + ") and " + entry.label()
                            + " (" + prefix.where() + "); two endpoints may not declare the same prefix "
                            + "(nested prefixes are fine)");
                }
            }
            Located<LinkId> linkId = entry.linkId();
            if (linkId != null) {
                Claim<LinkId> first = linkIds.putIfAbsent(linkId.value().value(), new Claim<>(entry, linkId));
                if (first != null) {
                    errors.add(file, linkId.line(), linkId.keyPath(), "linkId " + linkId.value()
                            + " is declared by both " + first.entry().label() + " (" + first.value().where()
                            + ") and " + entry.label() + " (" + linkId.where()
                            + "); two endpoints may not share a linkId");
                }
            }
            checkResourceId(entry, resourceIds, file, errors);
        }
        return errors.size() == errorsBefore ? new RuleIndex(names, prefixes, linkIds, resourceIds) : null;
    }

    /** A HashMap capacity that holds {@code size} keys without growing. */
    private static int capacity(int size) {
        return (int) Math.min(1 << 30, size * 4L / 3 + 1);
    }

    private static void checkResourceId(EndpointEntry entry, List<String> resourceIds, Path file,
                                        ConfigErrors errors) {
        Located<String> resourceId = entry.privateLinkResourceId();
        if (resourceIds == null || resourceId == null) {
            return;
        }
        for (String known : resourceIds) {
            // Azure resource ids compare case-insensitively.
            if (known.equalsIgnoreCase(resourceId.value())) {
                return;
            }
        }
        errors.add(file, resourceId.line(), resourceId.keyPath(), "points at no upstream's resourceId (known: "
                + (resourceIds.isEmpty() ? "none" : String.join(", ", resourceIds)) + ")");
    }

    /** The first endpoint to declare a prefix or link id, and where. */
    private record Claim<T>(EndpointEntry entry, Located<T> value) {
    }
}
