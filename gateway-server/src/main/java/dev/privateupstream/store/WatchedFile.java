package dev.privateupstream.store;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One configuration file as last handled: tells whether its content has changed since.
 *
 * <p>Decided by polling, not by {@code WatchService} events (which only ask for a poll sooner), because the
 * cases that matter defeat events: a Kubernetes ConfigMap replaces the file by swapping the {@code ..data}
 * symlink of its folder, editors rename a new file over the old one, and inotify watches neither symlink
 * targets nor other mounts. A cheap fingerprint (the resolved path, inode, size and modification time,
 * following symlinks) is taken on every poll; only when it moves is the content read and compared by
 * SHA-256, so a {@code touch} or a rewrite with the same bytes is not a change. A poll at least
 * {@link #DEEP_INTERVAL_NANOS} after the last such check hashes the content anyway, for file systems whose
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
    private Fingerprint fingerprint;
    private byte[] hash;
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
        hash = hash();
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
        final byte[] current = hash();
        if (Arrays.equals(current, hash)) {
            return false;
        }
        hash = current;
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
     * The SHA-256 of the content, or {@code null} when it cannot be read. Streamed through a small buffer:
     * an endpoints file of 100,000 endpoints is 30 MB, which a whole read would allocate at every check.
     */
    private byte[] hash() {
        final MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(path)) {
            final byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            return null;
        }
        return digest.digest();
    }

    /** What changes when the file is replaced, relinked or rewritten. */
    private record Fingerprint(Path realPath, Object fileKey, long size, FileTime modified) {
    }
}
