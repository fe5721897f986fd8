package dev.privateupstream.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KeySetSourcesTest {
    private final KeySetSourceTest.JwksServer jwks = new KeySetSourceTest.JwksServer();
    private final List<String> results = new CopyOnWriteArrayList<>();
    private final KeySetSources sources = new KeySetSources(Duration.ofSeconds(5), results::add);

    @BeforeEach
    void startServer() throws IOException {
        jwks.body = KeySetSourceTest.document(KeySetSourceTest.rsaKey("k1"));
        jwks.start();
    }

    @AfterEach
    void stop() {
        sources.close();
        jwks.stop();
    }

    @Test
    void oneSourcePerUrlStartedOnFirstUse() {
        final KeySetSource source = sources.source(jwks.url());
        KeySetSourceTest.await(source::loaded);
        assertThat(sources.source(jwks.url())).isSameAs(source);
        assertThat(sources.source(URI.create(jwks.url().toString()))).isSameAs(source);
        assertThat(jwks.requests.get()).isEqualTo(1);
        assertThat(results).containsExactly(KeySetSource.SUCCESS);
        assertThat(sources.urls()).containsExactly(jwks.url());
    }

    @Test
    void retainOnlyClosesTheSourcesNoLongerNamed() throws Exception {
        final URI other = URI.create(jwks.url() + "?v=2");
        final KeySetSource kept = sources.source(jwks.url());
        final KeySetSource dropped = sources.source(other);
        KeySetSourceTest.await(() -> kept.loaded() && dropped.loaded());

        sources.retainOnly(List.of(jwks.url()));
        assertThat(sources.urls()).containsExactly(jwks.url());
        assertThat(sources.source(jwks.url())).isSameAs(kept);
        // A closed source answers at once, without fetching.
        final int requests = jwks.requests.get();
        assertThat(dropped.refreshForUnknownKey()).isDone();
        assertThat(jwks.requests.get()).isEqualTo(requests);
        assertThat(sources.source(other)).as("named again: a new source").isNotSameAs(dropped);
    }

    @Test
    void noSourceOnceClosed() {
        sources.source(jwks.url());
        sources.close();
        assertThat(sources.urls()).isEmpty();
        assertThatThrownBy(() -> sources.source(jwks.url())).isInstanceOf(IllegalStateException.class);
    }
}
