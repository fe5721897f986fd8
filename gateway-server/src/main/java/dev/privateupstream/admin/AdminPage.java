package dev.privateupstream.admin;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The admin web page (SPEC §7 {@code GET /}): plain HTML, CSS and JavaScript from the jar's
 * {@code admin/} folder, read once at start. The page calls the REST API with the token the operator types;
 * it holds no secret itself. The same folder holds the API's OpenAPI 3.1 document, served at
 * {@value #OPENAPI_PATH} (SPEC §12), which like the page needs no token.
 */
final class AdminPage {
    static final String OPENAPI_PATH = "/api/openapi.json";

    /**
     * The page loads only its own files and talks only to this server; no inline script, no frames, so
     * that an endpoint's description can never run as code, even if it slipped past the page's escaping.
     */
    private static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "
                    + "connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; "
                    + "base-uri 'none'",
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer",
            "Cache-Control", "no-cache");

    private final Map<String, AdminResponse> files;

    AdminPage() {
        final AdminResponse index = load("index.html", "text/html; charset=utf-8");
        files = Map.of(
                "/", index,
                "/index.html", index,
                "/admin.css", load("admin.css", "text/css; charset=utf-8"),
                "/admin.js", load("admin.js", "text/javascript; charset=utf-8"),
                OPENAPI_PATH, load("openapi.json", "application/json"));
    }

    /** The file served at {@code path}, or {@code null}. */
    AdminResponse get(String path) {
        return files.get(path);
    }

    private static AdminResponse load(String name, String contentType) {
        try (InputStream in = AdminPage.class.getResourceAsStream("/admin/" + name)) {
            if (in == null) {
                throw new IllegalStateException("admin/" + name + " is missing from the jar");
            }
            return new AdminResponse(HttpResponseStatus.OK, contentType, in.readAllBytes(), SECURITY_HEADERS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read admin/" + name + " from the jar", e);
        }
    }
}
