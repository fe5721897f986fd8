package dev.privateupstream.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

/**
 * Makes a folder read-only the way a read-only mount (a Kubernetes ConfigMap) is, even for root, who ignores
 * permission bits: with the immutable attribute ({@code chattr +i}) where the file system has it, else by
 * permissions. Tests check {@link #make} and skip when neither works.
 */
public final class ReadOnlyFolder {
    private ReadOnlyFolder() {
    }

    /** Whether the folder is now read-only to this process. */
    public static boolean make(Path folder) throws IOException, InterruptedException {
        if (!chattr("+i", folder)) {
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("r-xr-xr-x"));
        }
        return !Files.isWritable(folder);
    }

    /** Undoes {@link #make}, so that the test's folder can be cleaned up. */
    public static void undo(Path folder) throws IOException, InterruptedException {
        chattr("-i", folder);
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static boolean chattr(String flag, Path folder) throws IOException, InterruptedException {
        try {
            final Process p = new ProcessBuilder("chattr", flag, folder.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false; // no chattr here
        }
    }
}
