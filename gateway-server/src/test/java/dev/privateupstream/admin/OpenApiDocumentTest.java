package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.privateupstream.testing.OpenApiContract;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The admin API's OpenAPI document ({@code admin/openapi.json}, SPEC §12) is a valid OpenAPI 3.1 document:
 * for swagger-parser, and against the OpenAPI Initiative's own JSON Schema of 3.1 documents. That the server
 * keeps it is checked on every admin answer of the test suite ({@link OpenApiContract}).
 */
class OpenApiDocumentTest {
    private static final String DOCUMENT = OpenApiContract.read(OpenApiContract.RESOURCE);

    @Test
    void swaggerParserReadsItAsOpenApi31WithoutAMessage() {
        final ParseOptions options = new ParseOptions();
        options.setResolve(true);
        final SwaggerParseResult result = new OpenAPIV3Parser().readContents(DOCUMENT, null, options);
        assertThat(result.getMessages()).isEmpty();
        final OpenAPI api = result.getOpenAPI();
        assertThat(api.getOpenapi()).isEqualTo("3.1.0");
        assertThat(api.getComponents().getSecuritySchemes().get("adminToken").getScheme()).isEqualTo("bearer");
        assertThat(api.getPaths()).containsKeys("/healthz", "/readyz", "/metrics", "/", "/api/openapi.json",
                "/api/shared-private-endpoints", "/api/shared-private-endpoints/{name}",
                "/api/shared-private-endpoints/{name}/approve", "/api/shared-private-endpoints/{name}/reject",
                "/api/shared-private-endpoints-traffic", "/api/shared-private-endpoints-summary", "/api/events",
                "/api/replicas");
        // Open to anyone: the probes, the page and this document; everything else needs the token.
        api.getPaths().forEach((path, item) -> item.readOperations().forEach(operation -> {
            final boolean open = !path.startsWith("/api/") || path.equals(AdminPage.OPENAPI_PATH);
            assertThat(operation.getSecurity() == null ? api.getSecurity() : operation.getSecurity())
                    .as(path).isEqualTo(open ? List.of() : api.getSecurity());
        }));
    }

    @Test
    void swaggerParserReportsABrokenDocument() {
        final SwaggerParseResult result = new OpenAPIV3Parser().readContents(
                DOCUMENT.replace("\"#/components/schemas/Resource\"", "\"#/components/schemas/Nothing\""), null,
                new ParseOptions());
        assertThat(result.getMessages()).anyMatch(message -> message.contains("Nothing"));
    }

    @Test
    void keepsTheOfficialOpenApi31Schema() {
        assertThat(officialSchema().validate(DOCUMENT, InputFormat.JSON)).isEmpty();
    }

    @Test
    void theOfficialSchemaRefusesADocumentMissingWhatItRequires() {
        assertThat(officialSchema().validate(DOCUMENT.replace("\"responses\":", "\"answers\":"), InputFormat.JSON))
                .isNotEmpty();
    }

    private static Schema officialSchema() {
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(OpenApiContract.read("/openapi/oas-3.1-schema-2022-10-07.json"), InputFormat.JSON);
    }
}
