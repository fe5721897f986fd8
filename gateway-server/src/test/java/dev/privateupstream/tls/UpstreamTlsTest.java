package dev.privateupstream.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.TestCertificates;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link UpstreamTls}: one {@link TrustRoots} per CA file, swapped when the file's content changes and
 * loads, kept when it does not, and recovering from a file that never loaded.
 */
class UpstreamTlsTest {
    @TempDir
    Path dir;

    private TestCertificates ca1;
    private TestCertificates ca2;
    private Path trusted;
    private UpstreamTls tls;

    @BeforeEach
    void certificates() throws Exception {
        ca1 = TestCertificates.create(dir, "unit-ca-1");
        ca2 = TestCertificates.create(dir, "unit-ca-2");
        trusted = dir.resolve("trusted.pem");
        Files.copy(ca1.caCertificate(), trusted);
        tls = new UpstreamTls(TlsProvider.best(), 20);
    }

    @AfterEach
    void stop() {
        tls.close();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met in time").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private void rewrite(Path file, byte[] content) throws Exception {
        final Path temporary = file.resolveSibling(file.getFileName() + ".new");
        Files.write(temporary, content);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void oneTrustRootsPerFileAndOneForTheSystemStore() {
        final TrustRoots roots = tls.trust(trusted);
        assertThat(roots.caFile()).isEqualTo(trusted);
        assertThat(roots.current()).isNotNull();
        assertThat(roots.current().isClient()).isTrue();
        assertThat(tls.trust(trusted)).isSameAs(roots);

        final TrustRoots system = tls.trust(null);
        assertThat(system.caFile()).isNull();
        assertThat(system.current()).isNotNull();
        assertThat(tls.trust(null)).isSameAs(system);
    }

    @Test
    void swapsInARewrittenFileAndKeepsTheRootsInForceWhenOneDoesNotLoad() throws Exception {
        final TrustRoots roots = tls.trust(trusted);
        final SslContext first = roots.current();

        rewrite(trusted, Files.readAllBytes(ca2.caCertificate()));
        await(() -> roots.current() != first);
        final SslContext second = roots.current();

        // The same content written again is no change.
        rewrite(trusted, Files.readAllBytes(ca2.caCertificate()));
        Thread.sleep(200); // ten polls; asserts only that nothing changed
        assertThat(roots.current()).isSameAs(second);

        // Not a certificate, then no file at all: kept.
        rewrite(trusted, "not a certificate\n".getBytes());
        Thread.sleep(200);
        assertThat(roots.current()).isSameAs(second);
        Files.delete(trusted);
        Thread.sleep(200);
        assertThat(roots.current()).isSameAs(second);

        // Both CAs in one bundle: loads.
        rewrite(trusted, concat(Files.readAllBytes(ca1.caCertificate()), Files.readAllBytes(ca2.caCertificate())));
        await(() -> roots.current() != second);
    }

    @Test
    void aFileThatNeverLoadedHasNoContextUntilItDoes() throws Exception {
        final Path broken = dir.resolve("broken.pem");
        Files.writeString(broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        final TrustRoots roots = tls.trust(broken);
        assertThat(roots.current()).isNull();

        rewrite(broken, Files.readAllBytes(ca1.caCertificate()));
        await(() -> roots.current() != null);
    }

    @Test
    void closedItReadsNoMore() throws Exception {
        final TrustRoots roots = tls.trust(trusted);
        final SslContext first = roots.current();
        tls.close();
        rewrite(trusted, Files.readAllBytes(ca2.caCertificate()));
        Thread.sleep(200);
        assertThat(roots.current()).isSameAs(first);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        final byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
