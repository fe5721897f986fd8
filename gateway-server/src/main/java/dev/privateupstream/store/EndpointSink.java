package dev.privateupstream.store;

import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.util.List;

/**
 * The one place a store hands its sets to: it swaps the policy snapshot, counts and logs (SPEC §4 reload,
 * §10 convergence). Called only on the configuration thread.
 */
public interface EndpointSink {

    /** The configuration in force, whose upstreams every set is checked against. */
    GatewayConfig current();

    /**
     * Puts a whole validated set in force as one snapshot swap and counts it
     * ({@code gateway_config_reloads_total{result="applied"}}).
     *
     * @param what where the change came from, for the log
     */
    default void apply(List<SharedPrivateEndpoint> endpoints, long revision, String what) {
        apply(endpoints, revision, what, null);
    }

    /**
     * As {@link #apply(List, long, String)}, telling which endpoints changed: when they were only created or
     * changed, and none removed, the snapshot is built without compiling the others again.
     *
     * @param changed the endpoints created or changed since the set in force, or {@code null} when others
     *        may have changed or been removed
     */
    void apply(List<SharedPrivateEndpoint> endpoints, long revision, String what, List<SharedPrivateEndpoint> changed);

    /**
     * A change that breaks the rules: logged with every error and counted
     * ({@code gateway_config_reloads_total{result="rejected"}}); the set in force stays.
     */
    void reject(String what, List<ConfigError> errors);

    /**
     * An admin API change that broke the rules or could not be stored: counted as rejected, not logged
     * here (the API's answer says why).
     */
    void refused();
}
