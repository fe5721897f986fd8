package dev.privateupstream.identity;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.config.IdentityConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The token verifiers of the configuration in force (SPEC §13), one per distinct {@code identity} block,
 * with the key sets they need. {@link #prepare} is called with every configuration put in force, so the keys
 * are fetched before the first call needs them and a reload that changes nothing of {@code identity}
 * fetches nothing.
 */
public final class CallerIdentities implements AutoCloseable {
    /** A fetch of a JWKS that takes longer than this has failed; calls never wait for more than their own limit. */
    static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

    private final KeySetSources sources;
    private final ConcurrentHashMap<IdentityConfig, IdentityVerifier> verifiers = new ConcurrentHashMap<>();
    private volatile List<IdentityConfig> prepared = List.of();

    /** @param keyRefreshes told the result of each fetch, for {@code gateway_identity_key_refreshes_total} */
    public CallerIdentities(Consumer<String> keyRefreshes) {
        sources = new KeySetSources(FETCH_TIMEOUT, requireNonNull(keyRefreshes, "keyRefreshes"));
    }

    /** The verifier for {@code config}, made (and its keys' fetch started) on first use. */
    public IdentityVerifier verifier(IdentityConfig config) {
        return verifiers.computeIfAbsent(config,
                c -> new IdentityVerifier(c, new TokenVerifier(c), sources.source(c.jwksUrl())));
    }

    /**
     * Starts the key fetches {@code config} needs, and forgets verifiers and key sets it no longer names. A
     * configuration whose {@code identity} blocks are those already prepared costs two comparisons.
     */
    public void prepare(GatewayConfig config) {
        final List<IdentityConfig> inUse = new ArrayList<>(2);
        if (config.signalr() != null && config.signalr().identity() != null) {
            inUse.add(config.signalr().identity());
        }
        if (config.webpubsub() != null && config.webpubsub().identity() != null) {
            inUse.add(config.webpubsub().identity());
        }
        synchronized (this) {
            if (inUse.equals(prepared)) {
                return;
            }
            final Set<URI> urls = new HashSet<>();
            for (IdentityConfig identity : inUse) {
                verifier(identity);
                urls.add(identity.jwksUrl());
            }
            verifiers.keySet().retainAll(inUse);
            sources.retainOnly(urls);
            prepared = List.copyOf(inUse);
        }
    }

    /**
     * Whether every verifier of the configuration in force has loaded its keys once: until then the calls it
     * checks get {@code 503 identity-unavailable}, so the replica is not ready for them.
     */
    public boolean ready() {
        for (IdentityConfig identity : prepared) {
            if (!verifier(identity).keys().loaded()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        sources.close();
    }
}
