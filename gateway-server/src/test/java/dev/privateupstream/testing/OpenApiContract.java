package dev.privateupstream.testing;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The admin API's OpenAPI 3.1 document (the jar's {@code admin/openapi.json}, SPEC §12) as a contract every
 * answer of the admin server must keep: {@link AdminClient} checks each answer it gets, so every admin test
 * also tests the document.
 *
 * <p>An answer is checked against the operation of its method and path: its status must be one the operation
 * lists, its required headers present, its media type one the response lists, and a JSON body valid against
 * that response's schema (networknt's validator, OpenAPI 3.1 dialect). Outside the listed operations the
 * document's description says what holds: a path it does not list answers 404, a method a path does not list
 * 405, and under {@code /api/} either may be 401 first; those use the document's shared responses.
 */
public final class OpenApiContract {
    /** The document as the jar holds it, the one the admin server serves. */
    public static final String RESOURCE = "/admin/openapi.json";
    private static final String BASE = "https://gateway.test/openapi.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The methods SPEC §12 calls writes: a reader token gets 403 for them under /api/. */
    private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");
    private static final OpenApiContract ADMIN = new OpenApiContract(read(RESOURCE));

    private final JsonNode document;
    private final SchemaRegistry registry;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    /** A contract over {@code documentText}, an OpenAPI 3.1 document in JSON. */
    public OpenApiContract(String documentText) {
        try {
            this.document = JSON.readTree(requireNonNull(documentText, "documentText"));
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        this.registry = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi31(),
                builder -> builder.schemas(Map.of(BASE, documentText)));
    }

    /** The admin API's document. */
    public static OpenApiContract admin() {
        return ADMIN;
    }

    /** The document's text from the test class path (the main resources). */
    public static String read(String resource) {
        try (InputStream in = OpenApiContract.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The ways an answer breaks the document, none when it keeps it.
     *
     * @param target the request's path, with its query if any
     * @param header the answer's headers by name, first value or {@code null}
     */
    public List<String> violations(String method, String target, int status, UnaryOperator<String> header,
            String body) {
        final String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
        final String where = method + " " + path + " answered " + status;
        final String template = template(path);
        final JsonNode operation = template == null ? null
                : document.path("paths").path(template).path(method.toLowerCase(Locale.ROOT));
        final String responsePointer;
        if (operation == null || operation.isMissingNode()) {
            // Not an operation: the document's description says 404 (unlisted path) or 405 (unlisted method).
            // Under /api/, a connection without the client certificate admin.tls.clientCa asks for gets 403
            // first, then 401, then a reader's write gets 403 (the description says all three).
            final int expected = template == null ? 404 : 405;
            final boolean guarded = path.startsWith("/api/");
            final boolean write = WRITES.contains(method.toUpperCase(Locale.ROOT));
            final boolean noCertificate = body != null && body.contains("\"client-certificate-required\"");
            if (status != expected && !(guarded && status == 401)
                    && !(guarded && (write || noCertificate) && status == 403)) {
                return List.of(where + ", but the document lists no such operation (expected: " + expected
                        + (guarded ? " or 401" : "") + (guarded && write ? " or 403" : "") + ")");
            }
            responsePointer = "/components/responses/" + (status == 401 ? "Unauthorized" : status == 403 ? "Forbidden"
                    : status == 404 ? "NotFound" : "MethodNotAllowed");
        } else {
            final JsonNode listed = operation.path("responses").path(Integer.toString(status));
            if (listed.isMissingNode()) {
                final List<String> codes = new ArrayList<>();
                operation.path("responses").fieldNames().forEachRemaining(codes::add);
                return List.of(where + ", a status its operation does not list (expected one of " + codes + ")");
            }
            responsePointer = "/paths/" + escape(template) + "/" + method.toLowerCase(Locale.ROOT)
                    + "/responses/" + status;
        }
        return violations(where, resolve(responsePointer), header, body);
    }

    private List<String> violations(String where, String responsePointer, UnaryOperator<String> header,
            String body) {
        final List<String> found = new ArrayList<>();
        final JsonNode response = document.at(responsePointer);
        for (Iterator<Map.Entry<String, JsonNode>> it = response.path("headers").fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> declared = it.next();
            final JsonNode definition = document.at(resolve(responsePointer + "/headers/" + escape(declared.getKey())));
            if (definition.path("required").asBoolean() && header.apply(declared.getKey()) == null) {
                found.add(where + " without the header " + declared.getKey() + " the document requires");
            }
        }
        final JsonNode content = response.path("content");
        if (content.isMissingNode() || content.isEmpty()) {
            if (body != null && !body.isEmpty()) {
                found.add(where + " with a body, where the document lists none");
            }
            return found;
        }
        final String type = header.apply("Content-Type");
        final String mediaType = mediaType(content, type);
        if (mediaType == null) {
            found.add(where + " as " + type + " (expected one of " + listOf(content) + ")");
            return found;
        }
        if (mediaType.startsWith("application/json")) {
            final String schemaPointer = responsePointer + "/content/" + escape(mediaType) + "/schema";
            for (Error error : schema(schemaPointer).validate(body, InputFormat.JSON)) {
                found.add(where + ": " + error + " (schema " + document.at(schemaPointer) + ", body " + body + ")");
            }
        }
        return found;
    }

    /** Every path the document lists, templates as written ({@code /api/shared-private-endpoints/{name}}). */
    public List<String> paths() {
        final List<String> paths = new ArrayList<>();
        document.path("paths").fieldNames().forEachRemaining(paths::add);
        return paths;
    }

    /** The listed path that matches {@code path}: each {@code {param}} stands for one non-empty segment. */
    String template(String path) {
        final String[] segments = path.split("/", -1);
        String templated = null;
        for (Iterator<String> it = document.path("paths").fieldNames(); it.hasNext(); ) {
            final String candidate = it.next();
            if (candidate.equals(path)) {
                return candidate;
            }
            final String[] parts = candidate.split("/", -1);
            if (parts.length != segments.length) {
                continue;
            }
            boolean matches = true;
            for (int i = 0; i < parts.length && matches; i++) {
                matches = parts[i].startsWith("{") ? !segments[i].isEmpty() : parts[i].equals(segments[i]);
            }
            if (matches) {
                templated = candidate;
            }
        }
        return templated;
    }

    /** The pointer itself, or where the {@code $ref} at it leads (this document's own references only). */
    private String resolve(String pointer) {
        String at = pointer;
        for (JsonNode ref = document.at(at).path("$ref"); ref.isTextual(); ref = document.at(at).path("$ref")) {
            if (!ref.textValue().startsWith("#/")) {
                throw new IllegalStateException("an outside reference: " + ref.textValue());
            }
            at = ref.textValue().substring(1);
        }
        return at;
    }

    private Schema schema(String pointer) {
        return schemas.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(BASE + "#" + p)));
    }

    /** The listed media type a {@code Content-Type} falls under, compared without parameters. */
    private static String mediaType(JsonNode content, String contentType) {
        if (contentType == null) {
            return null;
        }
        for (Iterator<String> it = content.fieldNames(); it.hasNext(); ) {
            final String listed = it.next();
            if (base(listed).equals(base(contentType))) {
                return listed;
            }
        }
        return null;
    }

    private static String base(String mediaType) {
        final int semicolon = mediaType.indexOf(';');
        return (semicolon < 0 ? mediaType : mediaType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    private static List<String> listOf(JsonNode content) {
        final List<String> types = new ArrayList<>();
        content.fieldNames().forEachRemaining(types::add);
        return types;
    }

    /** RFC 6901: {@code ~} and {@code /} in a pointer's token. */
    private static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }
}
