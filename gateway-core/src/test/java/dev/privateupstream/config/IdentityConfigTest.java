package dev.privateupstream.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code signalr.identity}, {@code webpubsub} and {@code upstreams[].protocol} (SPEC §13): read, defaulted, refused. */
class IdentityConfigTest {
    private static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private static final String CALLER = "6b0e1d3c-1111-2222-3333-444455556666";
    private static final String REST = """
            upstreams:
              - name: chat-func
                resourceId: %s
                url: http://127.0.0.1:7071
              - name: wps-func
                protocol: WebPubSub
                resourceId: %s
                url: http://127.0.0.1:7072
            sharedPrivateEndpoints:
              file: endpoints.yaml
            """.formatted(ConfigFiles.RESOURCE_ID, ConfigFiles.RESOURCE_ID);

    @TempDir
    Path folder;
    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(folder).endpoints("[]\n");
    }

    @Test
    void readsBothServicesWithTheirDefaults() throws Exception {
        final GatewayConfig config = files.environment(Map.of("WPS_KEY", "k1")).gateway("""
                signalr:
                  identity:
                    tenantId: 72F988BF-86F1-41AF-91AB-2D7CD011DB47
                    audiences: [ "api://contoso-gateway" ]
                    allowedCallers: [ "6B0E1D3C-1111-2222-3333-444455556666" ]
                webpubsub:
                  accessKeys: [ "${WPS_KEY}" ]
                  requireSignature: true
                  validateRequests: true
                  allowedOrigins: [ Contoso.WebPubSub.Azure.com ]
                  identity:
                    tenantId: %s
                    audiences: [ "api://a", "api://a/" ]
                    allowedCallers: [ %s ]
                    issuers: [ "https://sts.windows.net/%s/" ]
                    jwksUrl: http://127.0.0.1:9999/keys
                    clockSkew: 30s
                """.formatted(TENANT, CALLER, TENANT) + REST).load();

        final IdentityConfig signalr = config.signalr().identity();
        assertThat(signalr.tenantId()).isEqualTo(TENANT);
        assertThat(signalr.allowedCallers()).containsExactly(CALLER);
        assertThat(signalr.issuers()).containsExactly("https://sts.windows.net/" + TENANT + "/",
                "https://login.microsoftonline.com/" + TENANT + "/v2.0");
        assertThat(signalr.jwksUrl()).isEqualTo(
                URI.create("https://login.microsoftonline.com/" + TENANT + "/discovery/v2.0/keys"));
        assertThat(signalr.clockSkew()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.signalr().accessKeys()).isEmpty();

        final WebPubSubConfig webpubsub = config.webpubsub();
        assertThat(webpubsub.accessKeys()).containsExactly("k1");
        assertThat(webpubsub.requireSignature()).isTrue();
        assertThat(webpubsub.validateRequests()).isTrue();
        assertThat(webpubsub.allowedOrigins()).containsExactly("contoso.webpubsub.azure.com");
        assertThat(webpubsub.identity().audiences()).containsExactly("api://a", "api://a/");
        assertThat(webpubsub.identity().issuers()).containsExactly("https://sts.windows.net/" + TENANT + "/");
        assertThat(webpubsub.identity().jwksUrl()).isEqualTo(URI.create("http://127.0.0.1:9999/keys"));
        assertThat(webpubsub.identity().clockSkew()).isEqualTo(Duration.ofSeconds(30));

        assertThat(config.upstreams()).extracting(UpstreamConfig::protocol)
                .containsExactly(UpstreamProtocol.SIGNALR, UpstreamProtocol.WEBPUBSUB);
    }

    @Test
    void withoutTheSectionsNothingIsRequired() throws Exception {
        final GatewayConfig config = files.gateway(REST).load();
        assertThat(config.signalr()).isNull();
        assertThat(config.webpubsub()).isNull();
    }

    @Test
    void locatesEveryMistakeAtOnce() {
        final ConfigException e = files.gateway("""
                signalr:
                  identity:
                    tenantId: contoso.onmicrosoft.com
                    audiences: []
                    clockSkew: 2h
                    jwksUrl: ftp://keys
                webpubsub:
                  requireSignature: true
                  allowedOrigins: [ "https://contoso.webpubsub.azure.com", "*" ]
                  identity:
                    tenantId: %s
                    audiences: [ "api://x" ]
                    allowedCallers: [ not-a-guid ]
                    issuers: []
                    audience: typo
                """.formatted(TENANT) + REST.replace("protocol: WebPubSub", "protocol: mqtt")).loadFails();

        assertThat(e.errors()).extracting(ConfigError::keyPath).containsExactlyInAnyOrder(
                "signalr.identity.tenantId",
                "signalr.identity.audiences",
                "signalr.identity.allowedCallers",
                "signalr.identity.jwksUrl",
                "signalr.identity.clockSkew",
                "webpubsub.requireSignature",
                "webpubsub.allowedOrigins[0]",
                "webpubsub.allowedOrigins[1]",
                "webpubsub.identity.audience",
                "webpubsub.identity.allowedCallers[0]",
                "webpubsub.identity.issuers",
                "upstreams[1].protocol");
        assertThat(e.getMessage())
                .contains("signalr.identity.tenantId: 'contoso.onmicrosoft.com' (expected: a GUID")
                .contains("signalr.identity.allowedCallers: missing (expected: the object id")
                .contains("webpubsub.requireSignature: true, but webpubsub.accessKeys holds no key")
                .contains("upstreams[1].protocol: 'mqtt' (expected: signalr or webpubsub)");
    }

    @Test
    void defaultIssuersAndKeysFollowTheTenant() {
        assertThat(IdentityConfig.defaultIssuers(TENANT)).containsExactly("https://sts.windows.net/" + TENANT + "/",
                "https://login.microsoftonline.com/" + TENANT + "/v2.0");
        assertThat(new IdentityConfig(TENANT, List.of("a"), List.of(CALLER), List.of("i"), URI.create("https://k"),
                Duration.ZERO).issuers()).containsExactly("i");
    }
}
