package dev.privateupstream.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;

/**
 * The newest audit records this process wrote, for {@code GET /api/audit} with the endpoints file (SPEC §12):
 * the file holds endpoints, not their history, so the history starts again with each process; the log
 * {@code gateway.audit} keeps all of it.
 */
final class AuditHistory {
    /** At a few hundred bytes a record, a few MiB: far more changes than operators make between restarts. */
    static final int DEFAULT_CAPACITY = 10_000;

    private final int capacity;
    private final Deque<AuditRecord> records = new ArrayDeque<>();

    AuditHistory(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
        }
        this.capacity = capacity;
    }

    /** Adds the newest record, dropping the oldest when full. */
    synchronized void add(AuditRecord record) {
        if (records.size() == capacity) {
            records.removeFirst();
        }
        records.addLast(record);
    }

    /** The records kept of the endpoint {@code name} (any letter case), newest first. */
    synchronized List<AuditRecord> of(String name) {
        final List<AuditRecord> found = new ArrayList<>();
        for (Iterator<AuditRecord> newestFirst = records.descendingIterator(); newestFirst.hasNext(); ) {
            final AuditRecord record = newestFirst.next();
            if (record.endpoint().equalsIgnoreCase(name)) {
                found.add(record);
            }
        }
        return found;
    }
}
