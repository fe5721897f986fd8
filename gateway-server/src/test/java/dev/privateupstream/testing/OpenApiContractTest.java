package dev.privateupstream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** {@link OpenApiContract} finds each way an answer can break the admin API's document, and passes good ones. */
class OpenApiContractTest {
    private static final String RESOURCE = "{\"name\":\"spe\",\"properties\":{\"groupId\":\"sites\","
            + "\"privateLinkResourceId\":\"/subscriptions/s\",\"requestMessage\":\"\",\"privateIps\":[\"10.1.0.4\"],"
            + "\"status\":\"Pending\",\"description\":\"\",\"provisioningState\":\"Succeeded\"}}";
    private static final UnaryOperator<String> JSON =
            headers(Map.of("Content-Type", "application/json; charset=utf-8"));

    private final OpenApiContract contract = OpenApiContract.admin();

    private static UnaryOperator<String> headers(Map<String, String> headers) {
        return headers::get;
    }

    @Test
    void passesAnswersTheDocumentDescribes() {
        assertThat(contract.violations("GET", "/api/shared-private-endpoints/spe", 200, JSON, RESOURCE)).isEmpty();
        assertThat(contract.violations("GET", "/api/shared-private-endpoints?x=1", 200, JSON,
                "{\"value\":[" + RESOURCE + "]}")).isEmpty();
        assertThat(contract.violations("PUT", "/api/shared-private-endpoints/spe", 201,
                headers(Map.of("Content-Type", "application/json", "Location", "/api/shared-private-endpoints/spe")),
                RESOURCE)).isEmpty();
        assertThat(contract.violations("DELETE", "/api/shared-private-endpoints/spe", 204, name -> null, ""))
                .isEmpty();
        assertThat(contract.violations("GET", "/readyz", 503, headers(Map.of("Content-Type",
                "text/plain; charset=utf-8")), "not ready\n")).isEmpty();
        assertThat(contract.violations("GET", "/nothing", 404, JSON, "{\"error\":\"Not Found\",\"message\":\"m\"}"))
                .isEmpty();
        assertThat(contract.violations("POST", "/healthz", 405, headers(Map.of("Content-Type", "application/json",
                "Allow", "GET")), "{\"error\":\"Method Not Allowed\",\"message\":\"m\"}")).isEmpty();
    }

    @Test
    void findsABodyOffItsSchema() {
        final List<String> found = contract.violations("GET", "/api/shared-private-endpoints/spe", 200, JSON,
                RESOURCE.replace("\"Pending\"", "\"Waiting\"").replace(",\"description\":\"\"", ""));
        assertThat(found).hasSize(2).allMatch(v -> v.startsWith("GET /api/shared-private-endpoints/spe answered 200"));
        assertThat(String.join("\n", found)).contains("status").contains("description");
        assertThat(contract.violations("GET", "/api/shared-private-endpoints", 200, JSON, "{\"values\":[]}"))
                .isNotEmpty();
        assertThat(contract.violations("GET", "/api/replicas", 503, JSON, "{\"error\":\"Service Unavailable\"}"))
                .singleElement().asString().contains("message");
    }

    @Test
    void findsAStatusTheOperationDoesNotList() {
        assertThat(contract.violations("GET", "/api/shared-private-endpoints", 404, JSON,
                "{\"error\":\"Not Found\",\"message\":\"m\"}"))
                .singleElement().asString().contains("a status its operation does not list");
        assertThat(contract.violations("GET", "/nothing", 200, JSON, "{}"))
                .singleElement().asString().contains("the document lists no such operation (expected: 404)");
        assertThat(contract.violations("PATCH", "/api/shared-private-endpoints/spe", 200, JSON, RESOURCE))
                .singleElement().asString().contains("expected: 405 or 401");
    }

    @Test
    void findsAMissingRequiredHeaderAnUnlistedMediaTypeAndAnUnexpectedBody() {
        assertThat(contract.violations("PUT", "/api/shared-private-endpoints/spe", 201, JSON, RESOURCE))
                .singleElement().asString().contains("without the header Location");
        assertThat(contract.violations("GET", "/api/shared-private-endpoints/spe", 200,
                headers(Map.of("Content-Type", "text/plain")), RESOURCE))
                .singleElement().asString().contains("as text/plain (expected one of [application/json])");
        assertThat(contract.violations("DELETE", "/api/shared-private-endpoints/spe", 204, JSON, "{}"))
                .singleElement().asString().contains("with a body, where the document lists none");
    }

    @Test
    void matchesTemplatesSegmentBySegment() {
        assertThat(contract.template("/api/shared-private-endpoints/a/approve"))
                .isEqualTo("/api/shared-private-endpoints/{name}/approve");
        assertThat(contract.template("/api/shared-private-endpoints-traffic"))
                .isEqualTo("/api/shared-private-endpoints-traffic");
        assertThat(contract.template("/api/shared-private-endpoints//approve")).isNull();
        assertThat(contract.template("/api/shared-private-endpoints/a/b/approve")).isNull();
    }
}
