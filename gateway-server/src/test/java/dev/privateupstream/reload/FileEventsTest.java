package dev.privateupstream.reload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileEventsTest {
    @TempDir
    Path dir;

    @Test
    void anEditInPlaceAndARenameOverTheFileEachAskForAPoll() throws Exception {
        final Path file = Files.writeString(dir.resolve("endpoints.yaml"), "[]\n");
        final AtomicInteger wakes = new AtomicInteger();
        try (FileEvents events = FileEvents.start(wakes::incrementAndGet)) {
            assertThat(events).isNotNull();
            events.watch(file);
            events.watch(file); // the same folder again: one registration
            Files.writeString(file, "- name: edited\n");
            Await.until("a wake for the edit", () -> wakes.get() > 0);

            final int before = wakes.get();
            final Path next = Files.writeString(dir.resolve(".endpoints.yaml.tmp"), "- name: renamed\n");
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Await.until("a wake for the rename", () -> wakes.get() > before);
        }
    }
}
