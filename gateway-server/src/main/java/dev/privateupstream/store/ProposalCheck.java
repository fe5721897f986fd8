package dev.privateupstream.store;

import dev.privateupstream.config.ConfigError;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.UpstreamConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks an admin API proposal with the endpoints file's own rules (SPEC §4, §7) and reports the problems
 * relative to the changed endpoint, so the API can name the field of the request's own.
 */
public final class ProposalCheck {
    private ProposalCheck() {
    }

    /**
     * The problems of {@code endpoints}, a list that holds the changed endpoint (if any) among others. The
     * changed endpoint is validated last, because a clash is reported on the second of the two endpoints
     * involved.
     *
     * @param where names the store in the errors
     */
    public static List<EditOutcome.Problem> problems(List<SharedPrivateEndpoint> endpoints, SharedPrivateEndpoint changed,
            List<UpstreamConfig> upstreams, Path where) {
        final List<SharedPrivateEndpoint> ordered = new ArrayList<>(endpoints);
        if (changed != null) {
            ordered.remove(changed);
            ordered.add(changed);
        }
        final List<ConfigError> errors = ConfigLoader.validateEndpoints(ordered, upstreams, where);
        final String own = "[" + (ordered.size() - 1) + "]";
        final List<EditOutcome.Problem> problems = new ArrayList<>(errors.size());
        for (ConfigError error : errors) {
            String path = error.keyPath();
            if (changed != null && path.startsWith(own)) {
                path = path.substring(own.length());
                path = path.startsWith(".") ? path.substring(1) : path;
            }
            problems.add(new EditOutcome.Problem(path, error.message()));
        }
        return problems;
    }
}
