package dev.privateupstream.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.privateupstream.endpoint.EndpointStatus;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * One change made through the admin API or {@code store import} (SPEC §12): who did what to which endpoint.
 *
 * @param time when the change was made: computed, just before the store committed it
 * @param actor the name of the token that made it ({@code admin} for {@code admin.token}), or the
 *        command's name for {@code store import}
 * @param replica the replica that made it
 * @param action what was done
 * @param endpoint the endpoint's name
 * @param statusBefore its status before, or {@code null} when it was created
 * @param statusAfter its status after, or {@code null} when it was removed
 * @param description its description after (before, when it was removed), or {@code null}
 */
public record AuditRecord(Instant time, String actor, String replica, Action action, String endpoint,
        EndpointStatus statusBefore, EndpointStatus statusAfter, String description) {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public AuditRecord {
        requireNonNull(time, "time");
        requireNonNull(actor, "actor");
        requireNonNull(replica, "replica");
        requireNonNull(action, "action");
        requireNonNull(endpoint, "endpoint");
    }

    /** What a change did; the wire text is the lower-case name. */
    public enum Action {
        CREATE, UPDATE, APPROVE, REJECT, DELETE, IMPORT;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The record as SPEC §12 spells it; statuses as in the endpoints file, absent ones {@code null}. */
    public ObjectNode toJson() {
        final ObjectNode json = MAPPER.createObjectNode()
                .put("time", time.toString())
                .put("actor", actor)
                .put("replica", replica)
                .put("action", action.wireName())
                .put("endpoint", endpoint)
                .put("statusBefore", statusBefore == null ? null : statusBefore.toString())
                .put("statusAfter", statusAfter == null ? null : statusAfter.toString());
        return json.put("description", description);
    }

    /** The record as one line of JSON, for the log and the store. */
    public String toJsonLine() {
        return toJson().toString();
    }

    /**
     * Reads what {@link #toJsonLine} wrote. The bytes come from the store, where any writer may have put
     * anything.
     *
     * @throws IllegalArgumentException when they are not such a record, saying why
     */
    public static AuditRecord parse(byte[] json) {
        final JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + (e instanceof JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage()), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        try {
            return new AuditRecord(Instant.parse(text(node, "time")), text(node, "actor"), text(node, "replica"),
                    Action.valueOf(text(node, "action").toUpperCase(Locale.ROOT)), text(node, "endpoint"),
                    status(node.get("statusBefore")), status(node.get("statusAfter")),
                    node.hasNonNull("description") ? node.get("description").asText() : null);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("time: not an instant: " + e.getParsedString(), e);
        }
    }

    /** A required text field; a number or object there is refused rather than read as text. */
    private static String text(JsonNode node, String field) {
        final JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException(field + ": missing or not text");
        }
        return value.asText();
    }

    private static EndpointStatus status(JsonNode node) {
        return node == null || node.isNull() ? null : EndpointStatus.parse(node.asText());
    }
}
