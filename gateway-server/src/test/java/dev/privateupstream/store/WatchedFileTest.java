package dev.privateupstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchedFileTest {
    @TempDir
    Path dir;

    @Test
    void anUntouchedFileHasNotChanged() throws Exception {
        final Path file = Files.writeString(dir.resolve("endpoints.yaml"), "[]\n");
        final WatchedFile watched = new WatchedFile(file);
        watched.acknowledge();
        for (int i = 0; i < 10; i++) {
            assertThat(watched.changed()).isFalse();
        }
    }

    @Test
    void seesAnInPlaceRewriteOnce() throws Exception {
        final Path file = Files.writeString(dir.resolve("endpoints.yaml"), "[]\n");
        final WatchedFile watched = new WatchedFile(file);
        watched.acknowledge();
        Files.writeString(file, "- name: a\n");
        assertThat(watched.changed()).isTrue();
        assertThat(watched.changed()).isFalse();
    }

    @Test
    void aRenameOverTheFileWithTheSameBytesIsNoChange() throws Exception {
        final Path file = Files.writeString(dir.resolve("endpoints.yaml"), "[]\n");
        final WatchedFile watched = new WatchedFile(file);
        watched.acknowledge();
        final Path temp = Files.writeString(dir.resolve("endpoints.yaml.tmp"), "[]\n");
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertThat(watched.changed()).isFalse();
    }

    @Test
    void seesAConfigMapSwappingItsDataSymlink() throws Exception {
        // The layout kubelet makes: endpoints.yaml -> ..data/endpoints.yaml, ..data -> ..2024_01_01_v1.
        Files.createDirectory(dir.resolve("..v1"));
        Files.writeString(dir.resolve("..v1/endpoints.yaml"), "[]\n");
        Files.createSymbolicLink(dir.resolve("..data"), dir.resolve("..v1").getFileName());
        final Path file = Files.createSymbolicLink(dir.resolve("endpoints.yaml"), Path.of("..data/endpoints.yaml"));
        final WatchedFile watched = new WatchedFile(file);
        watched.acknowledge();

        Files.createDirectory(dir.resolve("..v2"));
        Files.writeString(dir.resolve("..v2/endpoints.yaml"), "- name: b\n");
        Files.createSymbolicLink(dir.resolve("..data_tmp"), dir.resolve("..v2").getFileName());
        Files.move(dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);

        assertThat(watched.changed()).isTrue();
        assertThat(watched.changed()).isFalse();
    }

    @Test
    void aRemovedFileIsAChangeAndSoIsItsReturn() throws Exception {
        final Path file = Files.writeString(dir.resolve("endpoints.yaml"), "[]\n");
        final WatchedFile watched = new WatchedFile(file);
        watched.acknowledge();
        Files.delete(file);
        assertThat(watched.changed()).isTrue();
        assertThat(watched.changed()).isFalse();
        Files.writeString(file, "[]\n");
        assertThat(watched.changed()).isTrue();
    }

    @Test
    void theGatewaysOwnWriteIsNoChangeOnceAcknowledged() throws Exception {
        final Path file = Files.writeString(dir.resolve("endpoints.yaml"), "[]\n");
        final WatchedFile watched = new WatchedFile(file);
        watched.acknowledge();
        Files.writeString(file, "- name: written-by-the-api\n");
        watched.acknowledge();
        assertThat(watched.changed()).isFalse();
    }

    @Test
    void aSameSizeRewriteInTheSameClockTickIsCaughtByTheContentCheck() throws Exception {
        final Path file = Files.writeString(dir.resolve("endpoints.yaml"), "aaaa\n");
        final long[] clock = {0};
        final WatchedFile watched = new WatchedFile(file, () -> clock[0]);
        watched.acknowledge();
        final var modified = Files.getLastModifiedTime(file);
        Files.writeString(file, "bbbb\n");
        // The same inode, size and time: what a file system with coarse timestamps shows.
        Files.setLastModifiedTime(file, modified);
        // Polls in quick succession (file events) trust the fingerprint; the first one a while later hashes.
        assertThat(watched.changed()).isFalse();
        clock[0] += WatchedFile.DEEP_INTERVAL_NANOS - 1;
        assertThat(watched.changed()).isFalse();
        clock[0] += 1;
        assertThat(watched.changed()).isTrue();
    }
}
