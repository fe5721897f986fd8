package dev.privateupstream.config;

import static dev.privateupstream.config.ConfigFiles.MINIMAL;
import static dev.privateupstream.config.ConfigFiles.RESOURCE_ID;
import static dev.privateupstream.config.ConfigFiles.assertError;
import static dev.privateupstream.config.ConfigFiles.exampleConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.groups.Tuple.tuple;

import dev.privateupstream.config.ListenConfig.ForwardedHeader;
import dev.privateupstream.config.ListenConfig.ProxyProtocolMode;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path folder;

    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(folder).endpoints("[]\n");
    }

    /** The documented example must load with no environment at all. */
    @Test
    void exampleConfigLoads() throws Exception {
        Path example = exampleConfig();
        GatewayConfig config = new ConfigLoader(Map.of()).load(example);

        assertThat(config.file()).isEqualTo(example.toAbsolutePath().normalize());
        assertThat(config.listen().address()).isEqualTo("0.0.0.0");
        assertThat(config.listen().port()).isEqualTo(8080);
        assertThat(config.listen().tls()).isNull();
        assertThat(config.listen().proxyProtocol()).isEqualTo(ProxyProtocolMode.DISABLED);
        assertThat(config.listen().trustedProxies()).isEmpty();
        assertThat(config.limits()).isEqualTo(LimitsConfig.DEFAULTS);
        assertThat(config.admin()).isEqualTo(new AdminConfig("127.0.0.1", 9090, null));
        assertThat(config.signalr()).isEqualTo(new SignalRConfig(List.of(), false, false));
        assertThat(config.upstreams()).singleElement().satisfies(u -> {
            assertThat(u.name()).isEqualTo("contoso-func");
            assertThat(u.url()).isEqualTo(URI.create("http://127.0.0.1:7071"));
            assertThat(u.hosts()).containsExactly("contoso-func.azurewebsites.net");
            assertThat(u.hubPattern()).isEqualTo("*");
            assertThat(u.maxConnections()).isEqualTo(256);
            assertThat(u.idleTimeout()).isEqualTo(Duration.ofSeconds(4));
        });
        assertThat(config.endpointsFile())
                .isEqualTo(example.toAbsolutePath().normalize().resolveSibling("endpoints.yaml"));
        assertThat(config.endpoints()).extracting(SharedPrivateEndpoint::status).containsExactly(
                EndpointStatus.APPROVED, EndpointStatus.PENDING, EndpointStatus.REJECTED, EndpointStatus.APPROVED);
        assertThat(config.endpoints().get(0).privateIps()).containsExactly(IpPrefix.parse("10.1.0.4"),
                IpPrefix.parse("10.1.0.0/28"));
        assertThat(config.endpoints().get(3).linkId()).isEqualTo(new LinkId(520093697));
        assertThat(config.endpoints().get(3).privateIps()).isEmpty();
    }

    @Test
    void exampleConfigTakesTheEnvironment() throws Exception {
        GatewayConfig config = new ConfigLoader(Map.of(
                "GATEWAY_ADMIN_TOKEN", "s3cret",
                "SIGNALR_KEY_PRIMARY", "key-one",
                "SIGNALR_REQUIRE_SIGNATURE", "true",
                "GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8",
                "GATEWAY_LISTEN_PORT", "0")).load(exampleConfig());

        assertThat(config.admin().token()).isEqualTo("s3cret");
        assertThat(config.signalr()).isEqualTo(new SignalRConfig(List.of("key-one"), true, false));
        assertThat(config.listen().trustedProxies()).containsExactly(IpPrefix.parse("10.0.0.0/8"),
                IpPrefix.parse("fd00::/8"));
        assertThat(config.listen().port()).isZero();
    }

    @Test
    void exampleConfigRefusesRequiredSignatureWithoutKeys() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> new ConfigLoader(Map.of("SIGNALR_REQUIRE_SIGNATURE", "true")).load(exampleConfig()));
        assertThat(e.errors()).singleElement().satisfies(error -> {
            assertThat(error.keyPath()).isEqualTo("signalr.requireSignature");
            assertThat(error.message()).contains("accessKeys holds no key");
        });
    }

    @Test
    void appliesDefaults() throws Exception {
        GatewayConfig config = files.gateway(MINIMAL).load();

        assertThat(config.listen()).isEqualTo(new ListenConfig("0.0.0.0", 8080, null, ProxyProtocolMode.DISABLED,
                List.of(), ForwardedHeader.NONE, false));
        assertThat(config.limits()).isEqualTo(LimitsConfig.DEFAULTS);
        assertThat(config.admin()).isEqualTo(new AdminConfig("127.0.0.1", 9090, null));
        assertThat(config.signalr()).isNull();
        assertThat(config.upstreams()).containsExactly(new UpstreamConfig("contoso-func", RESOURCE_ID,
                URI.create("http://127.0.0.1:7071"), List.of(), null, null, null, 256));
        assertThat(config.upstreams().get(0).idleTimeout()).isEqualTo(UpstreamConfig.DEFAULT_IDLE_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(4));
        assertThat(config.endpointsFile()).isEqualTo(files.endpoints.toAbsolutePath().normalize());
        assertThat(config.endpoints()).isEmpty();
    }

    @Test
    void readsEverySetting() throws Exception {
        Path certificate = folder.resolve("tls.crt");
        Files.createDirectories(folder.resolve("keys"));
        TestPem.selfSigned(certificate, folder.resolve("keys/tls.key"), "gateway.example");
        GatewayConfig config = files.gateway("""
                listen:
                  address: "::"
                  port: 0
                  tls:
                    certificate: tls.crt
                    privateKey: keys/tls.key
                  proxyProtocol: Optional
                  trustedProxies: [ 10.0.0.0/8, "::ffff:192.168.0.1" ]
                  forwardedHeader: X-Forwarded-For
                  rejectAtConnect: TRUE
                limits:
                  maxHeaderBytes: 32KiB
                  maxBodyBytes: 2 mib
                  headerTimeout: 1.5s
                  idleTimeout: 2m
                  drainTimeout: 0
                  upstreamConnectTimeout: 500ms
                  upstreamResponseTimeout: 1m30s
                  sendTimeout: 45s
                admin:
                  address: 0:0:0:0:0:0:0:1
                  port: 9191
                  token: abc
                signalr:
                  accessKeys: [ key-one, key-two ]
                  requireSignature: true
                  validateRequests: true
                upstreams:
                  - name: contoso-func
                    resourceId: /r/a
                    url: HTTPS://Backend.Example.com
                    hosts: [ Contoso.Example.COM:8443, "[FD00::1]:80", plain.example ]
                    hubPattern: chat
                    categoryPattern: messages,connections
                    eventPattern: "*"
                    maxConnections: 16
                    idleTimeout: 1.5s
                  - name: second.one_2
                    resourceId: /r/b
                    url: http://[::1]:7072/
                sharedPrivateEndpoints:
                  file: ./endpoints.yaml
                """).load();

        assertThat(config.listen()).isEqualTo(new ListenConfig("::", 0,
                new TlsConfig(certificate.toAbsolutePath().normalize(),
                        folder.resolve("keys/tls.key").toAbsolutePath().normalize()),
                ProxyProtocolMode.OPTIONAL, List.of(IpPrefix.parse("10.0.0.0/8"), IpPrefix.parse("192.168.0.1")),
                ForwardedHeader.X_FORWARDED_FOR, true));
        assertThat(config.limits()).isEqualTo(new LimitsConfig(32768, 2097152, Duration.ofMillis(1500),
                Duration.ofMinutes(2), Duration.ZERO, Duration.ofMillis(500), Duration.ofSeconds(90),
                Duration.ofSeconds(45)));
        assertThat(config.admin()).isEqualTo(new AdminConfig("::1", 9191, "abc"));
        assertThat(config.signalr()).isEqualTo(new SignalRConfig(List.of("key-one", "key-two"), true, true));
        assertThat(config.upstreams()).containsExactly(
                new UpstreamConfig("contoso-func", "/r/a", URI.create("https://backend.example.com:443"),
                        List.of("contoso.example.com", "[fd00::1]", "plain.example"), "chat",
                        "messages,connections", "*", 16, null, UpstreamProtocol.SIGNALR, Duration.ofMillis(1500)),
                new UpstreamConfig("second.one_2", "/r/b", URI.create("http://[::1]:7072"), List.of(), null, null,
                        null, 256));
        assertThat(config.endpointsFile()).isEqualTo(files.endpoints.toAbsolutePath().normalize());
    }

    @Test
    void substitutesEnvironmentVariables() throws Exception {
        GatewayConfig config = files.environment(Map.of("HOST", "10.0.0.7", "PORT", "7443", "EMPTY", "",
                        "KEYS", "k1,,k2", "TOKEN", "t$ken"))
                .gateway("""
                        listen:
                          port: ${LISTEN_PORT:-8181}
                          address: ${EMPTY:-127.0.0.2}
                        admin:
                          token: "${TOKEN}-$${NOT_A_VARIABLE}-${EMPTY}"
                        signalr:
                          accessKeys: ${KEYS}
                        upstreams:
                          - name: contoso-func
                            resourceId: /r/${MISSING_WITH_DEFAULT:-a}/x
                            url: https://${HOST}:${PORT}
                            hubPattern: ${HUB_PATTERN:-}
                        sharedPrivateEndpoints:
                          file: ${ENDPOINTS_FILE:-endpoints.yaml}
                        """).load();

        assertThat(config.listen().port()).isEqualTo(8181);
        assertThat(config.listen().address()).isEqualTo("127.0.0.2");
        assertThat(config.admin().token()).isEqualTo("t$ken-${NOT_A_VARIABLE}-");
        assertThat(config.signalr().accessKeys()).containsExactly("k1", "k2");
        assertThat(config.upstreams().get(0).resourceId()).isEqualTo("/r/a/x");
        assertThat(config.upstreams().get(0).url()).isEqualTo(URI.create("https://10.0.0.7:7443"));
        assertThat(config.upstreams().get(0).hubPattern()).isNull();
    }

    /** The SPEC's two-key example with only the primary key set: the empty entry is dropped. */
    @Test
    void dropsEmptyListEntries() throws Exception {
        GatewayConfig config = files.environment(Map.of("SIGNALR_KEY_PRIMARY", "primary"))
                .gateway("""
                        signalr:
                          accessKeys: [ "${SIGNALR_KEY_PRIMARY}", "${SIGNALR_KEY_SECONDARY:-}" ]
                          requireSignature: true
                        """ + MINIMAL).load();

        assertThat(config.signalr().accessKeys()).containsExactly("primary");
    }

    @Test
    void reportsAnUnsetVariableWithItsKeyAndLine() {
        ConfigException e = files.gateway("""
                admin:
                  token: ${GATEWAY_ADMIN_TOKEN}
                signalr:
                  accessKeys: [ "${SIGNALR_KEY_PRIMARY}", "${SIGNALR_KEY_SECONDARY}" ]
                """ + MINIMAL).loadFails();

        assertError(e, files.gateway, 2, "admin.token", "environment variable GATEWAY_ADMIN_TOKEN is not set");
        assertError(e, files.gateway, 4, "signalr.accessKeys[0]", "SIGNALR_KEY_PRIMARY is not set");
        assertError(e, files.gateway, 4, "signalr.accessKeys[1]", "SIGNALR_KEY_SECONDARY is not set");
        assertThat(e.errors()).hasSize(3);
    }

    @Test
    void reportsMalformedPlaceholders() {
        ConfigException e = files.gateway("""
                admin:
                  token: ${UNTERMINATED
                  address: ${not valid}
                """ + MINIMAL).loadFails();

        assertError(e, files.gateway, 2, "admin.token", "unterminated ${");
        assertError(e, files.gateway, 3, "admin.address", "'${not valid}' is not a valid placeholder");
    }

    @Test
    void reportsUnknownKeysWithTheAcceptedOnes() {
        ConfigException e = files.gateway("""
                listen:
                  adress: 10.0.0.1
                upstream: []
                """ + MINIMAL.replace("    url:", "    URL: x\n    url:")).loadFails();

        assertError(e, files.gateway, 2, "listen.adress", "unknown key (expected one of: address, port, tls, "
                + "proxyProtocol, trustedProxies, forwardedHeader, rejectAtConnect); did you mean 'address'?");
        assertError(e, files.gateway, 3, "upstream", "did you mean 'upstreams'?");
        assertError(e, files.gateway, 7, "upstreams[0].URL", "did you mean 'url'?");
        assertThat(e.errors()).hasSize(3);
    }

    @Test
    void reportsWrongTypes() {
        ConfigException e = files.gateway("""
                listen:
                  port: abc
                  address: [ 10.0.0.1 ]
                  proxyProtocol: maybe
                  forwardedHeader: forwarded
                  rejectAtConnect: yes
                  trustedProxies: { a: b }
                  tls: on
                admin:
                  port: 65536
                  address: localhost
                limits:
                  maxHeaderBytes: 16k
                  maxBodyBytes: -1
                  headerTimeout: 10
                  idleTimeout: 0s
                  drainTimeout: 1d
                """ + MINIMAL.replace("    url:", "    maxConnections: 0\n    url:")).loadFails();

        Path file = files.gateway;
        assertError(e, file, 2, "listen.port", "'abc' (expected: a port from 0 to 65535");
        assertError(e, file, 3, "listen.address", "expected a single value, not a list");
        assertError(e, file, 4, "listen.proxyProtocol", "'maybe' (expected: disabled, optional or required)");
        assertError(e, file, 5, "listen.forwardedHeader", "(expected: none or x-forwarded-for)");
        assertError(e, file, 6, "listen.rejectAtConnect", "'yes' (expected: true or false)");
        assertError(e, file, 7, "listen.trustedProxies", "expected a list, not a mapping");
        assertError(e, file, 8, "listen.tls", "expected a mapping with the keys certificate, privateKey");
        assertError(e, file, 10, "admin.port", "'65536' (expected: a port from 0 to 65535");
        assertError(e, file, 11, "admin.address", "localhost");
        assertError(e, file, 13, "limits.maxHeaderBytes", "'16k' (expected: a number of bytes");
        assertError(e, file, 14, "limits.maxBodyBytes", "'-1'");
        assertError(e, file, 15, "limits.headerTimeout", "'10' (expected: a duration with a unit");
        assertError(e, file, 16, "limits.idleTimeout", "'0s' (expected: a duration above zero");
        assertError(e, file, 17, "limits.drainTimeout", "'1d'");
        assertError(e, file, 21, "upstreams[0].maxConnections", "'0' (expected: a whole number from 1");
        assertThat(e.errors()).hasSize(15);
    }

    /** SPEC §4 documents {@code limits.sendTimeout}: a known key, 30s by default, a positive duration. */
    @Test
    void readsTheSendTimeout() throws Exception {
        assertThat(LimitsConfig.DEFAULTS.sendTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(files.gateway("limits:\n  sendTimeout: 1.5s\n" + MINIMAL).load().limits())
                .isEqualTo(new LimitsConfig(16384, 1048576, Duration.ofSeconds(10), Duration.ofSeconds(60),
                        Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(30),
                        Duration.ofMillis(1500)));
        // The constructor without it (code written before the key existed) takes the default.
        assertThat(new LimitsConfig(16384, 1048576, Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(30)))
                .isEqualTo(LimitsConfig.DEFAULTS);

        ConfigException e = files.gateway("limits:\n  sendTimeout: 0s\n" + MINIMAL).loadFails();
        assertError(e, files.gateway, 2, "limits.sendTimeout", "'0s' (expected: a duration above zero");
        e = files.gateway("limits:\n  sendTimeout: 30\n" + MINIMAL).loadFails();
        assertError(e, files.gateway, 2, "limits.sendTimeout", "'30' (expected: a duration with a unit");
        assertThat(e.errors()).hasSize(1);
    }

    @Test
    void reportsBadUpstreams() {
        ConfigException e = files.gateway("""
                upstreams:
                  - name: a b
                    resourceId: /r/1
                    url: ftp://backend
                  - name: none
                    resourceId: /r/2
                    url: http://user:pw@backend
                  - name: c
                    resourceId: /r/3
                    url: http://backend/api
                    hosts: [ "a b", "::1", ok.example ]
                  - name: c
                    resourceId: /r/4
                    url: http://backend?x=1
                    hubPattern: "a,,b"
                  - name: e
                    url: http://:80
                  - resourceId: /r/6
                  - just a string
                sharedPrivateEndpoints:
                  file: endpoints.yaml
                """).loadFails();

        Path file = files.gateway;
        assertError(e, file, 2, "upstreams[0].name", "'a b' (expected: letters, digits, '.', '_' and '-' only");
        assertError(e, file, 4, "upstreams[0].url", "not an http or https URL");
        assertError(e, file, 5, "upstreams[1].name", "'none' is reserved");
        assertError(e, file, 7, "upstreams[1].url", "carries user information");
        assertError(e, file, 10, "upstreams[2].url", "has a path");
        assertError(e, file, 11, "upstreams[2].hosts[0]", "'a b'");
        assertError(e, file, 11, "upstreams[2].hosts[1]", "without brackets (expected: [::1])");
        assertError(e, file, 12, "upstreams[3].name", "'c' is already the name of another upstream "
                + "(upstreams[2].name, line 8)");
        assertError(e, file, 14, "upstreams[3].url", "has a query");
        assertError(e, file, 15, "upstreams[3].hubPattern", "has an empty entry");
        assertError(e, file, 16, "upstreams[4].resourceId", "missing (expected: the Azure resource id");
        assertError(e, file, 17, "upstreams[4].url", "has no valid host");
        assertError(e, file, 18, "upstreams[5].name", "missing");
        assertError(e, file, 18, "upstreams[5].url", "missing (expected: http://HOST[:PORT]");
        assertError(e, file, 19, "upstreams[6]", "expected a mapping with the keys name, resourceId, url");
        assertThat(e.errors()).hasSize(15);
    }

    @Test
    void refusesAnUpstreamIdleTimeoutThatIsNotAPositiveDuration() {
        ConfigException e = files.gateway("""
                upstreams:
                  - name: a
                    resourceId: /r/1
                    url: http://backend
                    idleTimeout: 0s
                  - name: b
                    resourceId: /r/2
                    url: http://backend
                    idleTimeout: 4
                  - name: c
                    resourceId: /r/3
                    url: http://backend
                    idleTimeout: 3500ms
                sharedPrivateEndpoints:
                  file: endpoints.yaml
                """).loadFails();

        Path file = files.gateway;
        assertError(e, file, 5, "upstreams[0].idleTimeout", "'0s' (expected: a duration above zero with a unit, "
                + "such as 4s, the default, and below the backend's keep-alive timeout");
        assertError(e, file, 9, "upstreams[1].idleTimeout", "'4' (expected: a duration above zero with a unit");
        assertThat(e.errors()).hasSize(2);
    }

    @Test
    void requiresUpstreamsAndTheEndpointsFile() {
        ConfigException e = files.gateway("""
                listen:
                  port: 8080
                """).loadFails();

        assertError(e, files.gateway, 1, "upstreams", "missing (expected: a list of at least one upstream)");
        assertError(e, files.gateway, 1, "sharedPrivateEndpoints", "missing");
        assertThat(e.errors()).hasSize(2);

        e = files.gateway("""
                upstreams: []
                sharedPrivateEndpoints:
                  file:
                """).loadFails();
        assertError(e, files.gateway, 1, "upstreams", "empty (expected: at least one upstream)");
        assertError(e, files.gateway, 3, "sharedPrivateEndpoints.file", "missing");
    }

    @Test
    void reportsAMissingEndpointsFileOnTheKeyThatNamesIt() {
        ConfigException e = files.gateway(MINIMAL.replace("endpoints.yaml", "spe/missing.yaml")).loadFails();

        Path missing = folder.resolve("spe/missing.yaml");
        assertError(e, missing, 0, "sharedPrivateEndpoints.file", "cannot read " + missing.toAbsolutePath()
                + ": no such file (named at " + files.gateway.toAbsolutePath() + ", line 6)");
        assertThat(e.errors()).hasSize(1);
    }

    @Test
    void reportsMissingTlsFiles() {
        ConfigException e = files.gateway("""
                listen:
                  tls:
                    certificate: nowhere.crt
                """ + MINIMAL).loadFails();

        assertError(e, files.gateway, 3, "listen.tls.certificate", "cannot read "
                + folder.resolve("nowhere.crt").toAbsolutePath() + ": no such file");
        assertError(e, files.gateway, 2, "listen.tls.privateKey", "missing (expected: the path of a PEM private key)");
    }

    @Test
    void refusesContradictions() {
        ConfigException e = files.gateway("""
                listen:
                  port: 9000
                  proxyProtocol: required
                admin:
                  port: 9000
                signalr:
                  accessKeys: [ "${KEY:-}" ]
                  requireSignature: true
                """ + MINIMAL).loadFails();

        assertError(e, files.gateway, 3, "listen.proxyProtocol", "listen.trustedProxies is empty");
        assertError(e, files.gateway, 5, "admin.port", "9000 is also listen.port");
        assertError(e, files.gateway, 8, "signalr.requireSignature", "signalr.accessKeys holds no key");
        assertThat(e.errors()).hasSize(3);
    }

    @Test
    void listenAndAdminMayShareAPortOnDistinctAddresses() throws Exception {
        GatewayConfig config = files.gateway("""
                listen:
                  address: 10.0.0.1
                  port: 9090
                """ + MINIMAL).load();
        assertThat(config.listen().port()).isEqualTo(config.admin().port());

        ConfigException e = files.gateway("""
                listen:
                  port: 9090
                """ + MINIMAL).loadFails();
        assertError(e, files.gateway, 2, "listen.port", "9090 is also admin.port");
    }

    @Test
    void reportsTheSyntaxErrorLine() {
        ConfigException e = files.gateway("""
                listen:
                  port: 8080
                  trustedProxies: [ 10.0.0.0/8
                admin:
                  port: 9090
                """).loadFails();

        assertThat(e.errors()).singleElement().satisfies(error -> {
            assertThat(error.file()).isEqualTo(files.gateway.toAbsolutePath());
            assertThat(error.line()).isEqualTo(4);
            assertThat(error.keyPath()).isEqualTo("(syntax)");
            assertThat(error.message()).startsWith("invalid YAML: ").contains("line 3").doesNotContain("\n");
        });

        e = files.gateway("listen:\n  port: 1\n\tadmin: 2\n").loadFails();
        assertThat(e.errors()).singleElement().satisfies(error -> assertThat(error.line()).isEqualTo(3));
    }

    @Test
    void reportsRepeatedKeysAndAliases() {
        ConfigException e = files.gateway("""
                listen:
                  port: &p 8080
                  port: 8081
                admin:
                  port: *p
                """ + MINIMAL).loadFails();

        assertError(e, files.gateway, 3, "listen.port", "repeated key (first at line 2)");
        assertError(e, files.gateway, 5, "admin.port", "the alias *p is not supported");
    }

    @Test
    void refusesEmptyAndMisshapenDocuments() {
        ConfigException e = files.gateway("# nothing here\n").loadFails();
        assertError(e, files.gateway, 1, "(document)", "empty file (expected: a mapping with the keys listen, limits");

        e = files.gateway("- listen\n").loadFails();
        assertError(e, files.gateway, 1, "(document)", "expected a mapping with the keys listen, limits, admin, "
                + "signalr, webpubsub, upstreams, sharedPrivateEndpoints, tracing, not a list");

        e = files.gateway("a: 1\n---\nb: 2\n").loadFails();
        assertError(e, files.gateway, 3, "(document)", "a second YAML document starts here");

        e = new ConfigFiles(folder.resolve("nowhere")).loadFails();
        assertError(e, folder.resolve("nowhere/gateway.yaml"), 0, "(file)", "no such file");
    }

    @Test
    void reportsEveryErrorOfBothFilesAtOnce() {
        ConfigException e = files.gateway("""
                listen:
                  port: abc
                limits:
                  idleTimeout: soon
                """ + MINIMAL).endpoints("""
                - name: a
                  groupId: sites
                  privateLinkResourceId: /r/unknown
                  status: Approved
                  privateIps: [ 10.0.0.1 ]
                - name: b
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Maybe
                  privateIps: [ 10.0.0.256 ]
                """.formatted(RESOURCE_ID)).loadFails();

        assertThat(e.errors()).extracting(ConfigError::file, ConfigError::line, ConfigError::keyPath)
                .containsExactly(
                        tuple(files.gateway, 2, "listen.port"),
                        tuple(files.gateway, 4, "limits.idleTimeout"),
                        tuple(files.endpoints, 3, "[0].privateLinkResourceId"),
                        tuple(files.endpoints, 9, "[1].status"),
                        tuple(files.endpoints, 10, "[1].privateIps[0]"));
        assertThat(e.getMessage().lines()).hasSize(5);
    }
}
