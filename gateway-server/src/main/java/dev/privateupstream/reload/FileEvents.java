package dev.privateupstream.reload;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks for a poll as soon as the kernel reports anything in the folder of a configuration file (inotify on
 * Linux), so that an edit is in force within milliseconds rather than at the next scheduled poll.
 *
 * <p>Only a hint: what changed is still decided by the poll's fingerprint and hash ({@code WatchedFile}),
 * and the scheduled polls go on, since events miss what matters in some places (a ConfigMap's symlink
 * swap seen through another mount, network file systems). The folder rather than the file is watched:
 * editors and Kubernetes replace a file by renaming another over it, which is an event of the folder.
 */
final class FileEvents implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(FileEvents.class);

    private final WatchService service;
    private final Runnable wake;
    private final Set<Path> folders = ConcurrentHashMap.newKeySet();
    private final Thread thread;

    private FileEvents(WatchService service, Runnable wake) {
        this.service = service;
        this.wake = wake;
        thread = new Thread(this::run, "gateway-config-events");
        thread.setDaemon(true);
    }

    /**
     * Starts listening; without file events (no inotify instance left, say) answers {@code null} and the
     * scheduled polls alone see changes, as before.
     */
    static FileEvents start(Runnable wake) {
        requireNonNull(wake, "wake");
        try {
            final FileEvents events = new FileEvents(FileSystems.getDefault().newWatchService(), wake);
            events.thread.start();
            return events;
        } catch (IOException | UnsupportedOperationException e) {
            logger.warn("file change events unavailable ({}); configuration edits are seen at the next poll, within "
                    + "250 ms; raise fs.inotify.max_user_instances if this host has run out of them", e.toString());
            return null;
        }
    }

    /** Listens to the folder of this file from now on; again for the same folder does nothing. */
    void watch(Path file) {
        final Path folder = file.toAbsolutePath().getParent();
        if (folder == null || !folders.add(folder)) {
            return;
        }
        try {
            folder.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | ClosedWatchServiceException e) {
            folders.remove(folder);
            logger.debug("no file events for {}; polling alone sees its changes", folder, e);
        }
    }

    private void run() {
        try {
            while (true) {
                final WatchKey key = service.take();
                // What happened does not matter: the poll looks at the files themselves.
                key.pollEvents();
                if (!key.reset()) {
                    // The folder went away; a folder of the same name made later must be registered again.
                    folders.remove((Path) key.watchable());
                }
                wake.run();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException e) {
            logger.debug("closing the file watch failed", e);
        }
    }
}
