package dev.privateupstream.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The items of the endpoints file last read, by their text, so that a reload parses only the items that
 * changed: at 100,000 endpoints parsing the whole file takes seconds, while an approval changes one line.
 * An item is reused only when its text is the same to the character; a file out of the block form
 * ({@link EndpointItems}), an item that does not parse cleanly alone, or a change to more than an eighth of
 * the items is parsed whole, as before. Reused entries are moved to their new index and line, so errors
 * between entries (a prefix declared twice) name the places a whole parse names.
 *
 * <p>Holds the file's text once more (about 250 bytes per endpoint). Thread-safe.
 */
final class ParsedItems {
    private static final String ITEM = "[0]";

    private Path file;
    /** By item text: the text, the entry as it was last read, and the first line it was read at. */
    private Map<String, Seen> byText = Map.of();
    /** How many items the last read took from the ones before (for tests). */
    private int reused;
    /** How many reads the changed items' own check sufficed for (for tests). */
    private int checkedAlone;
    /** What the set of the last read whose rules held claims; {@code null} when unknown. */
    private RuleIndex rules;
    /** The last read's change to the set before: items gone and items parsed; {@code null} when unknown. */
    private List<EndpointEntry> removed;
    private List<EndpointEntry> added;

    /**
     * One remembered item. Its text is the one first read, kept across reads: the new read's copy of an
     * unchanged item dies young instead of replacing it, so that a reload of a large file promotes almost
     * nothing to the old generation (a storm of reloads at 100,000 endpoints otherwise filled it).
     */
    private record Seen(String text, EndpointEntry entry, int firstLine) {
    }

    /**
     * The entries of {@code text}, reusing the unchanged items of the last read of {@code file} and parsing
     * the others one by one; {@code null} when the file must be parsed whole.
     */
    synchronized List<EndpointEntry> entries(Path file, List<EndpointItems.Item> items,
                                             VariableSubstitution variables) {
        reused = 0;
        removed = null;
        added = null;
        if (!file.equals(this.file) || byText.isEmpty()) {
            return null;
        }
        final Seen[] seen = new Seen[items.size()];
        int misses = 0;
        for (int i = 0; i < seen.length; i++) {
            seen[i] = byText.get(items.get(i));
            if (seen[i] == null && ++misses > Math.max(64, items.size() / 8)) {
                return null;
            }
        }
        final List<EndpointEntry> entries = new ArrayList<>(items.size());
        final List<EndpointEntry> parsed = new ArrayList<>(misses);
        final Map<String, Seen> next = new HashMap<>(items.size() * 4 / 3 + 1);
        boolean repeated = false;
        for (int i = 0; i < seen.length; i++) {
            final EndpointItems.Item item = items.get(i);
            EndpointEntry entry;
            final Seen was = seen[i];
            if (was != null) {
                // Unmoved (the usual case) costs nothing: moved() answers the same entry, and it stays seen.
                entry = was.entry().moved(i, item.firstLine() - was.firstLine());
                repeated |= next.put(was.text(), entry == was.entry() ? was
                        : new Seen(was.text(), entry, item.firstLine())) != null;
                reused++;
            } else {
                final String text = item.text();
                entry = parseAlone(file, text, variables);
                if (entry == null) {
                    return null;
                }
                entry = entry.moved(i, item.firstLine() - 1);
                repeated |= next.put(text, new Seen(text, entry, item.firstLine())) != null;
                parsed.add(entry);
            }
            entries.add(entry);
        }
        if (!repeated) {
            // An item written twice is one key here but two endpoints: the whole check names the clash.
            final List<EndpointEntry> gone = new ArrayList<>(parsed.size());
            for (Seen was : byText.values()) {
                if (next.get(was.text()) == null) {
                    gone.add(was.entry());
                }
            }
            removed = gone;
            added = parsed;
        }
        byText = next;
        return entries;
    }

    /** Remembers the items of a file just parsed whole into {@code entries}, when they line up one to one. */
    synchronized void remember(Path file, List<EndpointItems.Item> items, List<EndpointEntry> entries) {
        this.file = file;
        byText = Map.of();
        rules = null;
        removed = null;
        added = null;
        if (items == null || items.size() != entries.size()) {
            return;
        }
        final Map<String, Seen> next = new HashMap<>(items.size() * 4 / 3 + 1);
        for (int i = 0; i < items.size(); i++) {
            final EndpointEntry entry = entries.get(i);
            if (entry.endpoint() == null || !entry.keyPath().equals("[" + i + "]")) {
                return;
            }
            final String text = items.get(i).text();
            next.put(text, new Seen(text, entry, items.get(i).firstLine()));
        }
        byText = next;
    }

    /**
     * Checks the items the last {@link #entries} read parsed, and the ones it no longer found, against what
     * the set before claimed; whether that showed the rules hold for the whole set. When it does not tell,
     * the caller checks the whole set and hands the outcome to {@link #keep}.
     */
    synchronized boolean checkedAlone(List<String> resourceIds) {
        final boolean checked = rules != null && added != null && rules.replace(removed, added, resourceIds);
        removed = null;
        added = null;
        if (checked) {
            checkedAlone++;
        } else {
            rules = null; // spoilt, if it was tried: the caller's whole check gives the next one
        }
        return checked;
    }

    /** What the set just read claims, from a whole check; {@code null} when it broke a rule. */
    synchronized void keep(RuleIndex index) {
        rules = index;
    }

    synchronized int checkedAlone() {
        return checkedAlone;
    }

    synchronized int reused() {
        return reused;
    }

    /** The entry of one item's text parsed as a file of its own, or {@code null} when it has any error. */
    private static EndpointEntry parseAlone(Path file, String text, VariableSubstitution variables) {
        final ConfigErrors errors = new ConfigErrors();
        final YamlNode root = ConfigLoader.endpointsTree(file, text, errors);
        if (root == null || !errors.isEmpty()) {
            return null;
        }
        final List<EndpointEntry> entries = EndpointsYaml.read(root, new ConfigSource(file, variables, errors));
        if (entries.size() != 1 || !errors.isEmpty() || entries.get(0).endpoint() == null
                || !entries.get(0).keyPath().equals(ITEM)) {
            return null;
        }
        return entries.get(0);
    }
}
