package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.IdleConnectionsClient;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.TestGateway;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ten thousand idle client connections held at once and then closed (SPEC §6, "memory stays bounded
 * whatever the clients do"): the gateway keeps serving meanwhile, and afterwards its open descriptors and
 * heap are back where they started. The clients live in another process ({@link IdleConnectionsClient}),
 * so the descriptors counted in {@code /proc/self/fd} are the gateway's alone. {@code -Didle.connections=N}
 * changes the count.
 */
class IdleConnectionsIT {
    private static final int COUNT = Integer.getInteger("idle.connections", 10_000);

    @TempDir
    Path dir;

    @Test
    void tenThousandIdleConnectionsComeAndGoWithoutATrace() throws Exception {
        try (RecordingBackend backend = RecordingBackend.start();
                TestGateway gateway = TestGateway.standard(dir, backend, "")) {
            warmUp(gateway);
            final long fdsBefore = openDescriptors();
            final long heapBefore = usedHeapAfterGc();
            final long directBefore = BackendFaultIT.gatewayDirectMemory();

            final Process client = new ProcessBuilder(javaBinary(), "-Xmx256m", "-cp",
                    System.getProperty("java.class.path"), IdleConnectionsClient.class.getName(),
                    Integer.toString(gateway.port()), Integer.toString(COUNT))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(client.getInputStream(),
                    StandardCharsets.UTF_8)); Writer in = client.outputWriter(StandardCharsets.UTF_8)) {
                assertThat(out.readLine()).isEqualTo("OPEN " + COUNT);
                // The gateway's own count, not the process's descriptors: in the whole suite, files that an
                // earlier test's resources release meanwhile would keep those below fdsBefore + COUNT.
                assertThat(awaitAtLeast(() -> gateway.server().metrics().activeConnections(), COUNT))
                        .as("the gateway holds every connection").isTrue();
                final long fdsHeld = openDescriptors();
                final long heapHeld = usedHeapAfterGc();

                // Served all the while.
                try (RawClient caller = new RawClient("127.0.0.10", gateway.port())) {
                    assertThat(caller.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
                }

                in.write("close\n");
                in.flush();
                assertThat(out.readLine()).isEqualTo("CLOSED");
                assertThat(awaitAtMost(IdleConnectionsIT::openDescriptors, fdsBefore + 8))
                        .as("descriptors released").isTrue();
                final long heapAfter = usedHeapAfterGc();
                final long directAfter = BackendFaultIT.gatewayDirectMemory();
                System.out.printf("idle connections: %d; fds %d -> %d -> %d; heap MiB %.1f -> %.1f -> %.1f "
                        + "(%.1f KiB per connection); direct MiB %.1f -> %.1f%n", COUNT, fdsBefore, fdsHeld,
                        openDescriptors(), mib(heapBefore), mib(heapHeld), mib(heapAfter),
                        (heapHeld - heapBefore) / 1024.0 / COUNT, mib(directBefore), mib(directAfter));
                assertThat(heapAfter - heapBefore).as("heap growth after close").isLessThan(16L << 20);
                assertThat(directAfter - directBefore).as("direct memory growth after close").isLessThan(16L << 20);
            } finally {
                client.destroy();
                client.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** One exchange first, so that lazily created pools, threads and caches count as "before". */
    private static void warmUp(TestGateway gateway) throws IOException {
        for (int i = 0; i < 4; i++) {
            try (RawClient caller = new RawClient("127.0.0.10", gateway.port())) {
                assertThat(caller.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
            }
        }
    }

    static long openDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static boolean awaitAtLeast(LongSupplier value, long target) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (value.getAsLong() < target) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private static boolean awaitAtMost(LongSupplier value, long target) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (value.getAsLong() > target) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static double mib(long bytes) {
        return bytes / 1024.0 / 1024.0;
    }
}
