package dev.privateupstream.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sharedPrivateEndpoints.etcd} (SPEC §10): read, defaulted and refused with located errors. */
class EtcdConfigTest {
    private static final String UPSTREAM = """
            upstreams:
              - name: contoso-func
                resourceId: %s
                url: http://127.0.0.1:7071
            """.formatted(ConfigFiles.RESOURCE_ID);

    @TempDir
    Path folder;
    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(folder).endpoints("[]\n");
    }

    @Test
    void readsEverySettingAndLoadsNoEndpointsItself() throws Exception {
        final GatewayConfig config = files.environment(Map.of("ETCD_PASSWORD", "s3cret", "POD", "gw-0"))
                .gateway(UPSTREAM + """
                        sharedPrivateEndpoints:
                          etcd:
                            endpoints: [ "http://ETCD-0.etcd:2379", "http://127.0.0.1" ]
                            prefix: /pu/
                            username: gateway
                            password: ${ETCD_PASSWORD}
                            timeout: 3s
                            cacheFile: endpoints.cache.yaml
                            replicaId: ${POD}
                        """).load();

        final EtcdConfig etcd = config.etcd();
        assertThat(config.endpointsFile()).isNull();
        assertThat(config.endpoints()).isEmpty();
        assertThat(etcd.endpoints()).containsExactly(URI.create("http://etcd-0.etcd:2379"),
                URI.create("http://127.0.0.1:2379"));
        assertThat(etcd.prefix()).isEqualTo("/pu/");
        assertThat(etcd.endpointsPrefix()).isEqualTo("/pu/endpoints/");
        assertThat(etcd.replicasPrefix()).isEqualTo("/pu/replicas/");
        assertThat(etcd.username()).isEqualTo("gateway");
        assertThat(etcd.password()).isEqualTo("s3cret");
        assertThat(etcd.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(etcd.cacheFile()).isEqualTo(folder.resolve("endpoints.cache.yaml"));
        assertThat(etcd.replicaId()).isEqualTo("gw-0");
        assertThat(etcd.tls()).isNull();
        assertThat(config.endpointStoreName()).isEqualTo("etcd /pu/endpoints/ at [http://etcd-0.etcd:2379, "
                + "http://127.0.0.1:2379]");
    }

    @Test
    void defaultsThePrefixTimeoutAndReplicaId() throws Exception {
        final EtcdConfig etcd = files.gateway(UPSTREAM + """
                sharedPrivateEndpoints:
                  etcd:
                    endpoints: [ "http://127.0.0.1:2379" ]
                """).load().etcd();

        assertThat(etcd.prefix()).isEqualTo("/private-upstream/");
        assertThat(etcd.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(etcd.replicaId()).isNotBlank().matches("[A-Za-z0-9._-]+");
        assertThat(etcd.cacheFile()).isNull();
    }

    @Test
    void refusesBothStoresAndNeither() {
        ConfigException e = files.gateway(UPSTREAM + """
                sharedPrivateEndpoints:
                  file: endpoints.yaml
                  etcd:
                    endpoints: [ "http://127.0.0.1:2379" ]
                """).loadFails();
        assertThat(e.errors()).singleElement().hasToString(files.gateway + ":7: sharedPrivateEndpoints.etcd: set "
                + "together with file; the endpoints live in one store (expected: a mapping with either file, "
                + "the endpoints file, or etcd, the shared store)");

        e = files.gateway(UPSTREAM + """
                sharedPrivateEndpoints: {}
                """).loadFails();
        assertThat(e.errors()).singleElement().extracting(ConfigError::keyPath).isEqualTo("sharedPrivateEndpoints");
    }

    @Test
    void locatesEveryMistakeAtOnce() {
        final ConfigException e = files.gateway(UPSTREAM + """
                sharedPrivateEndpoints:
                  etcd:
                    endpoints: [ "etcd-0:2379", "http://h:2379/v3", "https://h:2379" ]
                    prefix: /no-slash
                    username: gateway
                    timeout: 0s
                    cacheFile: .
                    replicaId: "has space"
                    tls: { caFile: missing.pem }
                    color: blue
                """).loadFails();

        assertThat(e.errors()).extracting(ConfigError::toString).anySatisfy(s -> assertThat(s)
                .contains(":7: sharedPrivateEndpoints.etcd.endpoints[0]: 'etcd-0:2379' is not an http or https"))
                .anySatisfy(s -> assertThat(s).contains("endpoints[1]: 'http://h:2379/v3' has more than scheme"))
                .anySatisfy(s -> assertThat(s).contains(":8: sharedPrivateEndpoints.etcd.prefix: '/no-slash'"))
                .anySatisfy(s -> assertThat(s).contains("sharedPrivateEndpoints.etcd.password: missing (expected: "
                        + "username and password together"))
                .anySatisfy(s -> assertThat(s).contains(":10: sharedPrivateEndpoints.etcd.timeout:"))
                .anySatisfy(s -> assertThat(s).contains(":11: sharedPrivateEndpoints.etcd.cacheFile: '.': "))
                .anySatisfy(s -> assertThat(s).contains(":12: sharedPrivateEndpoints.etcd.replicaId: 'has space'"))
                .anySatisfy(s -> assertThat(s).contains("sharedPrivateEndpoints.etcd.tls.caFile: cannot read"))
                .anySatisfy(s -> assertThat(s).contains(":14: sharedPrivateEndpoints.etcd.color: unknown key"));
    }

    @Test
    void refusesTlsWithHttpEndpointsAndMixedSchemes() {
        final ConfigException e = files.gateway(UPSTREAM + """
                sharedPrivateEndpoints:
                  etcd:
                    endpoints: [ "http://a:2379", "https://b:2379" ]
                    tls: { }
                """).loadFails();

        assertThat(e.errors()).extracting(ConfigError::message)
                .anySatisfy(m -> assertThat(m).startsWith("mixes http and https URLs"));
    }
}
