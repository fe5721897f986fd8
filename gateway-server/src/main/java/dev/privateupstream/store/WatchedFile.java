package dev.privateupstream.store;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * One configuration file as last handled: tells whether its content has changed since.
 *
 * <p>Decided by polling, not by {@code WatchService} events (which only ask for a poll sooner), because the
 * cases that matter defeat events: a Kubernetes ConfigMap replaces the file by swapping the {@code ..data}
 * symlink of its folder, editors rename a new file over the old one, and inotify watches neither symlink
 * targets nor other mounts. A cheap fingerprint (the resolved path, inode, size and modification time,
 * following symlinks) is taken on every poll; only when it moves is the content read and compared by its
 * checksums, so a {@code touch} or a rewrite with the same bytes is not a change. A poll at least
 * {@link #DEEP_INTERVAL_NANOS} after the last such check reads the content anyway, for file systems whose
 * timestamps are too coarse to see two writes in the same tick: by time, not by a count of polls, since
 * file events may ask for many polls.
 *
 * <p>A file that is still moving is not read: a writer that truncates and writes in place would otherwise
 * be caught half-way, and a half-written endpoints file can be valid YAML that lacks endpoints.
 *
 * <p>Not thread-safe: used only on the configuration thread.
 */
public final class WatchedFile {
    /** How long the fingerprint must hold still before the content is read. */
    static final long SETTLE_MILLIS = 20;
    private static final int SETTLE_ATTEMPTS = 5;
    static final long DEEP_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Path path;
    private final LongSupplier nanoClock;
    private final byte[] buffer = new byte[64 * 1024];
    private Fingerprint fingerprint;
    /** The checksums of the content last handled, or {@code null} when it could not be read. */
    private Long checksums;
    private long lastDeep;

    public WatchedFile(Path path) {
        this(path, System::nanoTime);
    }

    WatchedFile(Path path, LongSupplier nanoClock) {
        this.path = requireNonNull(path, "path");
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        lastDeep = nanoClock.getAsLong();
    }

    public Path path() {
        return path;
    }

    /** Takes the file as it is now as handled: after the first load, and after the gateway wrote it. */
    public void acknowledge() {
        fingerprint = fingerprint();
        checksums = checksums();
    }

    /**
     * Whether the content differs from the content last handled. When it does, the new content counts as
     * handled from now on, whatever becomes of it (applied or rejected): the same bad content is not
     * reported again at every poll.
     */
    public boolean changed() throws InterruptedException {
        final long polledAt = nanoClock.getAsLong();
        final boolean deep = polledAt - lastDeep >= DEEP_INTERVAL_NANOS;
        if (deep) {
            lastDeep = polledAt;
        }
        Fingerprint now = fingerprint();
        final boolean moved = !Objects.equals(now, fingerprint);
        if (!moved && !deep) {
            return false;
        }
        for (int attempt = 0; moved; attempt++) {
            Thread.sleep(SETTLE_MILLIS);
            final Fingerprint again = fingerprint();
            if (Objects.equals(again, now)) {
                break;
            }
            if (attempt == SETTLE_ATTEMPTS) {
                // Still being written: look again at the next poll.
                return false;
            }
            now = again;
        }
        fingerprint = now;
        final Long current = checksums();
        if (Objects.equals(current, checksums)) {
            return false;
        }
        checksums = current;
        return true;
    }

    private Fingerprint fingerprint() {
        try {
            final BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            return new Fingerprint(path.toRealPath(), attributes.fileKey(), attributes.size(),
                    attributes.lastModifiedTime());
        } catch (IOException e) {
            // Missing or unreadable: a state of its own, which the load will report.
            return null;
        }
    }

    /**
     * CRC-32C and CRC-32 of the content, one in each half, or {@code null} when it cannot be read. Not a
     * cryptographic hash: whoever can write the file needs no collision to change it, and two checksums of
     * different polynomials miss an accidental change once in 2^64. Both are CPU instructions: 30 MB (an
     * endpoints file of 100,000 endpoints) take a few milliseconds, where SHA-256 took 70 ms of every reload
     * and of every deep check. Streamed through a small buffer, so that a check allocates nothing of the
     * file's size.
     */
    private Long checksums() {
        final CRC32C castagnoli = new CRC32C();
        final CRC32 ieee = new CRC32();
        try (InputStream in = Files.newInputStream(path)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                castagnoli.update(buffer, 0, n);
                ieee.update(buffer, 0, n);
            }
        } catch (IOException e) {
            return null;
        }
        return castagnoli.getValue() << 32 | ieee.getValue();
    }

    /** What changes when the file is replaced, relinked or rewritten. */
    private record Fingerprint(Path realPath, Object fileKey, long size, FileTime modified) {
    }
}
