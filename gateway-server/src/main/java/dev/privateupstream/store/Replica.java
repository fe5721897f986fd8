package dev.privateupstream.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One live replica as the registry holds it (SPEC §10): the JSON under {@code PREFIX + "replicas/" + ID}.
 *
 * @param id the replica's id ({@code replicaId})
 * @param host its host name
 * @param proxyPort the proxy listener's port
 * @param adminPort the admin server's port
 * @param version the gateway's version
 * @param startedAt when it started, ISO-8601 UTC
 * @param revision the revision of the endpoint set it has in force
 */
public record Replica(String id, String host, int proxyPort, int adminPort, String version, String startedAt,
        long revision) {

    public Replica {
        requireNonNull(id, "id");
        requireNonNull(host, "host");
        requireNonNull(version, "version");
        requireNonNull(startedAt, "startedAt");
    }

    /** The same replica with another revision in force. */
    public Replica withRevision(long newRevision) {
        return new Replica(id, host, proxyPort, adminPort, version, startedAt, newRevision);
    }

    public ObjectNode toJson() {
        return JsonNodeFactory.instance.objectNode().put("id", id).put("host", host).put("proxyPort", proxyPort)
                .put("adminPort", adminPort).put("version", version).put("startedAt", startedAt)
                .put("revision", revision);
    }

    /** Reads the registry's JSON; missing fields read as empty or 0 (another version may write fewer). */
    public static Replica of(JsonNode json) {
        return new Replica(json.path("id").asText(""), json.path("host").asText(""), json.path("proxyPort").asInt(),
                json.path("adminPort").asInt(), json.path("version").asText(""), json.path("startedAt").asText(""),
                json.path("revision").asLong());
    }
}
