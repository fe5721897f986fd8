package dev.privateupstream.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The items of the endpoints file last read, by their bytes, so that a reload parses only the items that
 * changed: at 100,000 endpoints parsing the whole file takes seconds, while an approval changes one line.
 * An item is reused only when its bytes are the same to the byte; a file out of the block form
 * ({@link EndpointItems}) or an item that does not parse cleanly alone is parsed whole, as before. A file of
 * which every item changed is still read item by item: as fast as a whole parse, and the reload never
 * holds the file's whole tree besides the set in force (a whole rewrite of 100,000 endpoints in a 1 GB
 * heap made five full collections instead of eight). Reused entries are moved to their new index and line, so errors
 * between entries (a prefix declared twice) name the places a whole parse names.
 *
 * <p>A reload of one changed item allocates little beyond that item: the file is read into one buffer kept
 * from read to read ({@link FileBuffer}), cut into ranges kept in arrays, looked up with one probe, and the
 * map of remembered items is changed in place. What a reload allocates lives on in the set in force or
 * dies before the next young collection; a storm of reloads otherwise keeps tens of megabytes in the
 * survivor spaces, copied at every collection (benchmarks/README.md).
 *
 * <p>Holds the file's bytes twice (the buffer, and each remembered item's), about 600 bytes per endpoint.
 * Thread-safe; a caller that uses {@link #read}, {@link #entries}, {@link #text} and {@link #remember} in
 * turn holds this object's lock across them.
 */
final class ParsedItems {
    private static final String ITEM = "[0]";

    private final FileBuffer buffer = new FileBuffer();
    private final EndpointItems items = new EndpointItems();
    private final Probe probe = new Probe();
    /** Whether the buffer holds the file last read, cut into {@link #items}. */
    private boolean split;
    private Path file;
    /** The remembered items, each its own key: found by a {@link Probe} over the buffer's bytes. */
    private Map<Object, Seen> byText = new HashMap<>();
    /** The number of the current read, marking the remembered items it found. */
    private int reads;
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
     * One remembered item: its bytes, the entry as it was last read, the line it was read at, and the read
     * that last found it. Its bytes are the ones first read, kept across reads, so that a reload of a large
     * file promotes almost nothing to the old generation.
     */
    private static final class Seen {
        private final byte[] text;
        private final int hash;
        private EndpointEntry entry;
        /** The index and line {@link #entry} names. */
        private int index;
        private int firstLine;
        private int read;

        Seen(byte[] text, int hash, EndpointEntry entry, int index, int firstLine, int read) {
            this.text = text;
            this.hash = hash;
            this.entry = entry;
            this.index = index;
            this.firstLine = firstLine;
            this.read = read;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Seen seen && seen.hash == hash && Arrays.equals(seen.text, text);
        }
    }

    /** Item {@link #item} of the buffer as a key: equal to the remembered item of the same bytes. */
    private final class Probe {
        private int item;

        @Override
        public int hashCode() {
            return items.hash(item);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Seen seen && seen.hash == items.hash(item) && items.matches(item, seen.text);
        }
    }

    /**
     * Reads {@code file} and cuts it into items when it has the block form; {@code false} when it cannot be
     * read (the reason reported under {@code fileKeyPath}).
     */
    synchronized boolean read(Path file, String fileKeyPath, ConfigErrors errors) {
        split = false;
        try {
            buffer.read(file);
        } catch (IOException e) {
            YamlTree.cannotRead(file, fileKeyPath, e, errors);
            return false;
        }
        split = items.split(buffer.bytes(), buffer.length());
        return true;
    }

    /**
     * The text of the file {@link #read} last read, for a whole parse; {@code null} when it is not UTF-8
     * (reported under {@code fileKeyPath}).
     */
    synchronized String text(Path file, String fileKeyPath, ConfigErrors errors) {
        try {
            return YamlTree.decode(buffer.bytes(), 0, buffer.length());
        } catch (CharacterCodingException e) {
            YamlTree.cannotRead(file, fileKeyPath, e, errors);
            return null;
        }
    }

    /**
     * The entries of the file {@link #read} last read, reusing the unchanged items of the read of
     * {@code file} before and parsing the others one by one; {@code null} when the file must be parsed whole.
     */
    synchronized List<EndpointEntry> entries(Path file, VariableSubstitution variables) {
        reused = 0;
        removed = null;
        added = null;
        if (!split || !file.equals(this.file) || byText.isEmpty() || !items.headIsText()) {
            return null;
        }
        final int count = items.count();
        final Seen[] seen = new Seen[count];
        int misses = 0;
        for (int i = 0; i < count; i++) {
            probe.item = i;
            seen[i] = byText.get(probe);
            if (seen[i] == null) {
                misses++;
            }
        }
        // Everything that may fail first: the remembered items change only once the read is sure to succeed.
        final EndpointEntry[] entries = new EndpointEntry[count];
        final List<Seen> fresh = new ArrayList<>(misses);
        final int read = ++reads;
        for (int i = 0; i < count; i++) {
            final Seen was = seen[i];
            if (was != null) {
                // Unmoved (the usual case) costs nothing: the same entry.
                entries[i] = was.index == i && was.firstLine == items.firstLine(i) ? was.entry
                        : was.entry.moved(i, items.firstLine(i) - was.firstLine);
                continue;
            }
            final EndpointEntry entry;
            try {
                entry = parseAlone(file, items.text(i), variables);
            } catch (CharacterCodingException e) {
                return null; // the whole parse says the file is not UTF-8
            }
            if (entry == null) {
                return null;
            }
            entries[i] = entry.moved(i, items.firstLine(i) - 1);
            fresh.add(new Seen(items.copy(i), items.hash(i), entries[i], i, items.firstLine(i), read));
        }
        boolean repeated = false;
        for (int i = 0; i < count; i++) {
            final Seen was = seen[i];
            if (was != null) {
                repeated |= was.read == read; // an item written twice: one remembered item, two endpoints
                was.read = read;
                was.index = i;
                was.firstLine = items.firstLine(i);
                if (was.entry != entries[i]) {
                    // Only when moved: a reference written into an old object marks its card, which the next
                    // young collection scans; 100,000 such writes per reload made its pauses five times longer.
                    was.entry = entries[i];
                }
                reused++;
            }
        }
        final List<EndpointEntry> parsed = new ArrayList<>(fresh.size());
        for (Seen item : fresh) {
            repeated |= byText.remove(item) != null;
            byText.put(item, item);
            parsed.add(item.entry);
        }
        final List<EndpointEntry> gone = new ArrayList<>();
        for (Iterator<Seen> it = byText.values().iterator(); it.hasNext(); ) {
            final Seen was = it.next();
            if (was.read != read) {
                gone.add(was.entry);
                it.remove();
            }
        }
        if (!repeated) {
            // The whole check names the clash of an item written twice.
            removed = gone;
            added = parsed;
        }
        return Arrays.asList(entries);
    }

    /**
     * Remembers the items of the file {@link #read} last read, just parsed whole into {@code entries}, when
     * they line up one to one; with {@code reusable} false (an item has an error, to be reported again at
     * the next read) none.
     */
    synchronized void remember(Path file, boolean reusable, List<EndpointEntry> entries) {
        this.file = file;
        byText = new HashMap<>();
        rules = null;
        removed = null;
        added = null;
        if (!reusable || !split || items.count() != entries.size()) {
            return;
        }
        final Map<Object, Seen> next = new HashMap<>(entries.size() * 4 / 3 + 1);
        for (int i = 0; i < entries.size(); i++) {
            final EndpointEntry entry = entries.get(i);
            if (entry.endpoint() == null || !EndpointEntry.isItem(entry.keyPath(), i)) {
                return;
            }
            final Seen item = new Seen(items.copy(i), items.hash(i), entry, i, items.firstLine(i), reads);
            next.put(item, item);
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
