package dev.privateupstream.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.config.AdminConfig;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.IdentityConfig;
import dev.privateupstream.config.LimitsConfig;
import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.config.SignalRConfig;
import dev.privateupstream.config.WebPubSubConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The verifiers of the configuration in force: made once, kept across reloads that keep them, dropped after. */
class CallerIdentitiesTest {
    private static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private static final String CALLER = "6b0e1d3c-1111-2222-3333-444455556666";

    private final KeySetSourceTest.JwksServer jwks = new KeySetSourceTest.JwksServer();
    private final List<String> results = new CopyOnWriteArrayList<>();
    private CallerIdentities identities;

    @BeforeEach
    void start() throws IOException {
        jwks.body = KeySetSourceTest.document(KeySetSourceTest.rsaKey("k1"));
        jwks.start();
        identities = new CallerIdentities(results::add);
    }

    @AfterEach
    void stop() {
        identities.close();
        jwks.stop();
    }

    private IdentityConfig identity(String audience, URI jwksUrl) {
        return new IdentityConfig(TENANT, List.of(audience), List.of(CALLER), IdentityConfig.defaultIssuers(TENANT),
                jwksUrl, Duration.ofMinutes(5));
    }

    private static GatewayConfig config(IdentityConfig signalr, IdentityConfig webpubsub) {
        final GatewayConfig base = new GatewayConfig(Path.of("/tmp/gateway.yaml"),
                new ListenConfig("127.0.0.1", 0, null, ListenConfig.ProxyProtocolMode.DISABLED, List.of(),
                        ListenConfig.ForwardedHeader.NONE, false),
                LimitsConfig.DEFAULTS, new AdminConfig("127.0.0.1", 0, null), null, List.of(),
                Path.of("/tmp/endpoints.yaml"), null, List.of());
        return new GatewayConfig(base.file(), base.listen(), base.limits(), base.admin(),
                signalr == null ? null : new SignalRConfig(List.of(), false, false, signalr),
                webpubsub == null ? null : new WebPubSubConfig(List.of(), false, false, List.of(), webpubsub),
                base.upstreams(), base.endpointsFile(), null, base.endpoints());
    }

    @Test
    void readyOnlyOnceEveryConfiguredKeySetLoaded() {
        assertThat(identities.ready()).as("nothing configured").isTrue();
        jwks.statuses.add(500);
        identities.prepare(config(identity("api://a", jwks.url()), null));
        assertThat(identities.ready()).as("the first fetch failed").isFalse();
        KeySetSourceTest.await(identities::ready);
        KeySetSourceTest.await(() -> results.size() == 2); // counted just after the keys are in force
        assertThat(results).containsExactly(KeySetSource.FAILURE, KeySetSource.SUCCESS);
    }

    @Test
    void aReloadThatKeepsTheIdentityBlocksKeepsTheirVerifiersAndFetchesNothing() {
        final IdentityConfig signalr = identity("api://a", jwks.url());
        identities.prepare(config(signalr, signalr));
        KeySetSourceTest.await(identities::ready);
        final IdentityVerifier verifier = identities.verifier(signalr);
        assertThat(verifier.keys().loaded()).isTrue();

        // An equal block in a new configuration object (a reload of the same file).
        identities.prepare(config(identity("api://a", jwks.url()), identity("api://a", jwks.url())));
        assertThat(identities.verifier(identity("api://a", jwks.url()))).isSameAs(verifier);
        assertThat(jwks.requests.get()).as("one key set for both services, fetched once").isEqualTo(1);
    }

    @Test
    void aChangedBlockGetsANewVerifierAndAnUnusedKeySetIsClosed() {
        final IdentityConfig before = identity("api://a", jwks.url());
        identities.prepare(config(before, null));
        KeySetSourceTest.await(identities::ready);
        final IdentityVerifier old = identities.verifier(before);

        final IdentityConfig after = identity("api://b", URI.create(jwks.url() + "?tenant=2"));
        identities.prepare(config(null, after));
        KeySetSourceTest.await(identities::ready);
        assertThat(identities.verifier(after)).isNotSameAs(old);
        assertThat(identities.verifier(after).keys()).isNotSameAs(old.keys());
        // The old key set is closed: asked for a refresh, it answers at once without fetching.
        final int requests = jwks.requests.get();
        assertThat(old.keys().refreshForUnknownKey()).isDone();
        assertThat(jwks.requests.get()).isEqualTo(requests);
    }
}
