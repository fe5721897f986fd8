package dev.privateupstream.testing;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * Calls the admin server of a test gateway over HTTP, or over HTTPS ({@link #https}, for {@code admin.tls}),
 * with the bearer token of {@link TestGateway} unless told otherwise, and reads JSON answers.
 *
 * <p>Every answer is checked against the admin API's OpenAPI document ({@link OpenApiContract}) before the
 * test sees it; one the document does not describe fails the test with an {@link AssertionError}.
 */
public final class AdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final String base;
    private final String token;
    /** The TLS client context over HTTPS, {@code null} over HTTP. */
    private final SSLContext tls;

    /** An answer: status, headers, raw body and the body as JSON (null when not JSON). */
    public record Answer(int status, HttpResponse<String> raw, JsonNode json) {
        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        public String body() {
            return raw.body();
        }
    }

    private AdminClient(String base, String token, SSLContext tls) {
        this.base = base;
        this.token = token;
        this.tls = tls;
        final HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            builder.sslContext(tls);
        }
        http = builder.build();
    }

    public AdminClient(int port, String token) {
        this("http://127.0.0.1:" + port, token, null);
    }

    public AdminClient(int port) {
        this(port, TestGateway.ADMIN_TOKEN);
    }

    /**
     * {@code https://127.0.0.1:PORT} with {@code token} (or none, {@code null}), trusting and presenting what
     * {@code tls} does ({@link TestCertificates#clientContext}); the server's certificate must name
     * {@code IP:127.0.0.1}.
     */
    public static AdminClient https(int port, String token, SSLContext tls) {
        return new AdminClient("https://127.0.0.1:" + port, token, requireNonNull(tls, "tls"));
    }

    /** The same server, over the same scheme and TLS context, with another token, or none ({@code null}). */
    public AdminClient withToken(String other) {
        return new AdminClient(base, other, tls);
    }

    public Answer get(String path) throws IOException, InterruptedException {
        return send("GET", path, null);
    }

    public Answer put(String path, String json) throws IOException, InterruptedException {
        return send("PUT", path, json);
    }

    public Answer post(String path, String json) throws IOException, InterruptedException {
        return send("POST", path, json);
    }

    public Answer delete(String path) throws IOException, InterruptedException {
        return send("DELETE", path, null);
    }

    public Answer send(String method, String path, String json) throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(15))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        final HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        final List<String> violations = OpenApiContract.admin().violations(method, path, response.statusCode(),
                name -> response.headers().firstValue(name).orElse(null), response.body());
        if (!violations.isEmpty()) {
            throw new AssertionError("the admin server's answer breaks its OpenAPI document (admin/openapi.json):\n"
                    + String.join("\n", violations));
        }
        JsonNode parsed = null;
        if (response.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
            parsed = JSON.readTree(response.body());
        }
        return new Answer(response.statusCode(), response, parsed);
    }
}
