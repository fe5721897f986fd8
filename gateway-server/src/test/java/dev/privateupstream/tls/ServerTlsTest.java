package dev.privateupstream.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateupstream.config.TlsConfig;
import dev.privateupstream.testing.TestCertificates;
import dev.privateupstream.testing.TestCertificates.Issued;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ServerTls}: loads with BoringSSL and with the JDK fallback, swaps in rewritten files, keeps the
 * context in force when new files do not load, follows the configuration on and off, and with a client CA
 * ({@code admin.tls.clientCa}) asks for client certificates without requiring them.
 */
class ServerTlsTest {
    @TempDir
    Path dir;

    private TestCertificates ca;
    private Issued served;
    private final AtomicReference<TlsConfig> config = new AtomicReference<>();
    private final List<ServerTls> started = new ArrayList<>();

    @BeforeEach
    void certificates() throws Exception {
        ca = TestCertificates.create(dir, "unit-ca");
        served = ca.issue("served", "localhost", "DNS:localhost");
        config.set(new TlsConfig(served.certificate(), served.privateKey()));
    }

    @AfterEach
    void stop() {
        started.forEach(ServerTls::close);
    }

    private ServerTls start(TlsProvider provider) {
        final ServerTls tls = ServerTls.start(config::get, provider, 20);
        started.add(tls);
        return tls;
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met in time").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void loadsWithEitherProvider() {
        final List<TlsProvider> providers = OpenSsl.isAvailable()
                ? List.of(TlsProvider.BORINGSSL, TlsProvider.JDK) : List.of(TlsProvider.JDK);
        assertThat(TlsProvider.best()).isEqualTo(providers.get(0));
        for (TlsProvider provider : providers) {
            final ServerTls tls = start(provider);
            assertThat(tls.current().isServer()).isTrue();
            final SslHandler handler = tls.newHandler(ByteBufAllocator.DEFAULT, Duration.ofSeconds(3));
            try {
                assertThat(handler.getHandshakeTimeoutMillis()).isEqualTo(3000);
                // Netty's BoringSSL engine lists the SSLv2Hello pseudo-protocol (a hello format, not a version).
                assertThat(handler.engine().getEnabledProtocols()).filteredOn(p -> !p.equals("SSLv2Hello"))
                        .containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
            } finally {
                ReferenceCountUtil.release(handler.engine()); // a BoringSSL engine is reference-counted
            }
            assertThat(provider.describe()).contains(provider == TlsProvider.BORINGSSL ? "BoringSSL" : "JDK");
        }
    }

    @Test
    void isPlainWithoutTlsConfig() {
        config.set(null);
        final ServerTls tls = start(TlsProvider.best());
        assertThat(tls.current()).isNull();
        assertThat(tls.newHandler(ByteBufAllocator.DEFAULT, Duration.ofSeconds(1))).isNull();
    }

    @Test
    void swapsInRewrittenFilesAndKeepsTheOldContextWhenNewOnesDoNotLoad() throws Exception {
        final ServerTls tls = start(TlsProvider.best());
        final SslContext first = tls.current();

        // A certificate whose key is not the one in the key file: refused, the first stays.
        final Issued other = ca.issue("other", "localhost", "DNS:localhost");
        Files.copy(other.certificate(), served.certificate(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Thread.sleep(200); // ten polls; asserts only that nothing changed
        assertThat(tls.current()).isSameAs(first);

        // Its key follows: the pair loads and is swapped in.
        TestCertificates.replace(served, other);
        await(() -> tls.current() != first);
        final SslContext second = tls.current();

        // Garbage: kept.
        Files.writeString(served.privateKey(), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        Thread.sleep(200);
        assertThat(tls.current()).isSameAs(second);
    }

    @Test
    void followsTheConfigurationOffAndOn() throws Exception {
        final ServerTls tls = start(TlsProvider.best());
        config.set(null);
        await(() -> tls.current() == null);
        config.set(new TlsConfig(served.certificate(), served.privateKey()));
        await(() -> tls.current() != null);
    }

    @Test
    void withAClientCaAsksForAClientCertificateWithoutRequiringOneWithEitherProvider() throws Exception {
        final TestCertificates operators = TestCertificates.create(dir, "operators");
        final List<TlsProvider> providers = OpenSsl.isAvailable()
                ? List.of(TlsProvider.BORINGSSL, TlsProvider.JDK) : List.of(TlsProvider.JDK);
        for (TlsProvider provider : providers) {
            config.set(new TlsConfig(served.certificate(), served.privateKey(), operators.caCertificate()));
            final ServerTls tls = ServerTls.start("admin.tls", "admin port", config::get, provider, 20);
            started.add(tls);
            final SslHandler asking = tls.newHandler(ByteBufAllocator.DEFAULT, Duration.ofSeconds(3));
            try {
                assertThat(asking.engine().getWantClientAuth()).as(provider + " asks").isTrue();
                assertThat(asking.engine().getNeedClientAuth()).as(provider + " requires").isFalse();
                assertThat(ServerTls.clientCertificateMissing(asking.engine())).as(provider.name()).isTrue();
            } finally {
                ReferenceCountUtil.release(asking.engine());
            }

            // A reload without clientCa: the next connections are not asked, so nothing is missing.
            final SslContext withCa = tls.current();
            config.set(new TlsConfig(served.certificate(), served.privateKey()));
            await(() -> tls.current() != withCa);
            final SslHandler plain = tls.newHandler(ByteBufAllocator.DEFAULT, Duration.ofSeconds(3));
            try {
                assertThat(plain.engine().getWantClientAuth()).as(provider + " asks").isFalse();
                assertThat(ServerTls.clientCertificateMissing(plain.engine())).as(provider.name()).isFalse();
            } finally {
                ReferenceCountUtil.release(plain.engine());
            }
        }
    }

    @Test
    void swapsInARewrittenClientCaAndKeepsTheOldContextWhenItDoesNotLoad() throws Exception {
        final TestCertificates operators = TestCertificates.create(dir, "operators");
        final Path clientCa = dir.resolve("client-ca.pem");
        Files.copy(operators.caCertificate(), clientCa);
        config.set(new TlsConfig(served.certificate(), served.privateKey(), clientCa));
        final ServerTls tls = ServerTls.start("admin.tls", "admin port", config::get, TlsProvider.best(), 20);
        started.add(tls);
        final SslContext first = tls.current();

        Files.writeString(clientCa, "not a certificate\n");
        Thread.sleep(200); // ten polls; asserts only that nothing changed
        assertThat(tls.current()).isSameAs(first);

        Files.copy(TestCertificates.create(dir, "strangers").caCertificate(), clientCa,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        await(() -> tls.current() != first);
    }

    @Test
    void refusesToStartWithFilesThatDoNotLoad() throws Exception {
        final Issued other = ca.issue("other", "localhost", "DNS:localhost");
        config.set(new TlsConfig(served.certificate(), other.privateKey()));
        assertThatThrownBy(() -> start(TlsProvider.best())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("listen.tls").hasMessageContaining("does not belong");
        assertThatThrownBy(() -> ServerTls.start("admin.tls", "admin port", config::get, TlsProvider.best(), 20))
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("admin.tls: ");
    }
}
