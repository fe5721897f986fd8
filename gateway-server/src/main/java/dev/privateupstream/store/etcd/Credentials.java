package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An etcd user's name and password, traded for a token by {@code POST /v3/auth/authenticate}; the token goes
 * in the {@code Authorization} header of every later request on that connection.
 *
 * <p>Tokens are fetched per connection, from the member it leads to: etcd's default "simple" tokens are valid
 * only on the member that issued them (and until it restarts, or five idle minutes pass), so a token from one
 * member is useless on the next after a failover.
 */
record Credentials(String username, String password) {
    static final String PATH = "/v3/auth/authenticate";

    Credentials {
        requireNonNull(username, "username");
        requireNonNull(password, "password");
    }

    /** The credentials of these settings, or {@code null} when auth is off. */
    static Credentials of(EtcdClientSettings settings) {
        return settings.username() == null ? null : new Credentials(settings.username(), settings.password());
    }

    byte[] body() {
        final ObjectNode body = GatewayJson.object();
        body.put("name", username);
        body.put("password", password);
        return GatewayJson.write(body);
    }

    /** The token of an {@code AuthenticateResponse}. */
    static String token(JsonNode answer) {
        final String token = answer.path("token").asText("");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("no token in the answer");
        }
        return token;
    }

    @Override
    public String toString() {
        return "Credentials[" + username + ']';
    }
}
