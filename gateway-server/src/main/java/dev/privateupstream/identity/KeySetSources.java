package dev.privateupstream.identity;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One {@link KeySetSource} per distinct JWKS URL, shared by every configuration that names it (SPEC §13), so
 * that the {@code signalr} and {@code webpubsub} blocks of one tenant fetch once, and a configuration reload
 * keeps the keys it already has instead of fetching again. Thread-safe.
 */
public final class KeySetSources implements AutoCloseable {
    private final Duration fetchTimeout;
    private final Consumer<String> refreshes;
    private final Map<URI, KeySetSource> sources = new HashMap<>();
    private boolean closed;

    /**
     * @param fetchTimeout how long one fetch may take, for every source
     * @param refreshes told {@link KeySetSource#SUCCESS} or {@link KeySetSource#FAILURE} after each fetch of
     *        any source: {@code gateway_identity_key_refreshes_total{result}}
     */
    public KeySetSources(Duration fetchTimeout, Consumer<String> refreshes) {
        this.fetchTimeout = requireNonNull(fetchTimeout, "fetchTimeout");
        this.refreshes = requireNonNull(refreshes, "refreshes");
    }

    /**
     * The started source of {@code jwksUrl}, made and started on first use.
     *
     * @throws IllegalStateException once closed
     */
    public KeySetSource source(URI jwksUrl) {
        requireNonNull(jwksUrl, "jwksUrl");
        synchronized (sources) {
            if (closed) {
                throw new IllegalStateException("key set sources closed");
            }
            KeySetSource source = sources.get(jwksUrl);
            if (source == null) {
                source = new KeySetSource(jwksUrl, fetchTimeout, refreshes);
                sources.put(jwksUrl, source);
                source.start();
            }
            return source;
        }
    }

    /** Closes the sources of URLs no configuration names any more, e.g. after a reload. */
    public void retainOnly(Collection<URI> inUse) {
        final Set<URI> kept = new HashSet<>(inUse);
        final List<KeySetSource> unused = new ArrayList<>();
        synchronized (sources) {
            sources.entrySet().removeIf(entry -> {
                if (kept.contains(entry.getKey())) {
                    return false;
                }
                unused.add(entry.getValue());
                return true;
            });
        }
        unused.forEach(KeySetSource::close);
    }

    /** The URLs with a source; for tests and the admin page. */
    public Set<URI> urls() {
        synchronized (sources) {
            return Set.copyOf(sources.keySet());
        }
    }

    @Override
    public void close() {
        final List<KeySetSource> all;
        synchronized (sources) {
            closed = true;
            all = new ArrayList<>(sources.values());
            sources.clear();
        }
        all.forEach(KeySetSource::close);
    }
}
