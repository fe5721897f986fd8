package dev.privateupstream.config;

import static dev.privateupstream.config.ConfigFiles.MINIMAL;
import static dev.privateupstream.config.ConfigFiles.RESOURCE_ID;
import static dev.privateupstream.config.ConfigFiles.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The endpoints file through {@link ConfigLoader}: reading, the rules between endpoints, reloads. */
class ConfigLoaderEndpointsTest {
    @TempDir
    Path folder;

    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(folder).gateway(MINIMAL);
    }

    @Test
    void aFileThatIsNotUtf8IsRefusedButAReplacementCharacterWrittenAsSuchIsText() throws Exception {
        Files.write(files.endpoints, new byte[] {'-', ' ', 'n', 'a', 'm', 'e', ':', ' ', (byte) 0xC3, '(', '\n'});
        final ConfigException e = files.loadFails();
        assertThat(e.errors()).singleElement().satisfies(error ->
                assertThat(error.message()).contains("not UTF-8 text"));

        files.endpoints("""
                - name: replaced
                  groupId: sites
                  privateLinkResourceId: %s
                  requestMessage: "mojibake \uFFFD seen"
                  status: Pending
                  linkId: 7
                """.formatted(RESOURCE_ID));
        assertThat(files.load().endpoints()).singleElement()
                .satisfies(endpoint -> assertThat(endpoint.requestMessage()).isEqualTo("mojibake \uFFFD seen"));
    }

    @Test
    void readsEveryField() throws Exception {
        GatewayConfig config = files.endpoints("""
                - name: contoso-func-spe
                  groupId: sites
                  privateLinkResourceId: %s
                  requestMessage: please approve
                  status: aPPROVED
                  description: approved by the function owner
                  privateIps: [ 10.1.0.4, 10.1.0.0/28, "FD00:0::1" ]
                  linkId: 4294967295
                - name: link-only
                  groupId: sites
                  privateLinkResourceId: %s
                  status: timeout
                  linkId: 0
                - name: ips-as-text
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Disconnected
                  privateIps: 10.2.0.0/16, 10.3.0.1
                """.formatted(RESOURCE_ID, RESOURCE_ID.toUpperCase(), RESOURCE_ID)).load();

        assertThat(config.endpoints()).containsExactly(
                new SharedPrivateEndpoint("contoso-func-spe", "sites", RESOURCE_ID, "please approve",
                        EndpointStatus.APPROVED, "approved by the function owner",
                        List.of(IpPrefix.parse("10.1.0.4/32"), IpPrefix.parse("10.1.0.0/28"),
                                IpPrefix.parse("fd00::1")),
                        new LinkId(4294967295L)),
                new SharedPrivateEndpoint("link-only", "sites", RESOURCE_ID.toUpperCase(), "", EndpointStatus.TIMEOUT,
                        "", List.of(), new LinkId(0)),
                new SharedPrivateEndpoint("ips-as-text", "sites", RESOURCE_ID, "", EndpointStatus.DISCONNECTED, "",
                        List.of(IpPrefix.parse("10.2.0.0/16"), IpPrefix.parse("10.3.0.1")), null));
    }

    @Test
    void substitutesVariablesInTheEndpointsFile() throws Exception {
        GatewayConfig config = files.environment(Map.of("SPE_IP", "10.9.0.1"))
                .endpoints("""
                        - name: spe
                          groupId: sites
                          privateLinkResourceId: %s
                          status: Pending
                          description: "costs $${PRICE}"
                          privateIps: [ "${SPE_IP}", "${SPE_IP_2:-}" ]
                        """.formatted(RESOURCE_ID)).load();

        assertThat(config.endpoints()).singleElement().satisfies(e -> {
            assertThat(e.description()).isEqualTo("costs ${PRICE}");
            assertThat(e.privateIps()).containsExactly(IpPrefix.parse("10.9.0.1"));
        });
    }

    @Test
    void anEmptyListIsValid() throws Exception {
        assertThat(files.endpoints("[]\n").load().endpoints()).isEmpty();
    }

    @Test
    void reportsBadFields() {
        ConfigException e = files.endpoints("""
                - name: bad name
                  groupId: " "
                  privateLinkResourceId: %s
                  status: Maybe
                  privateIps: [ 10.1.0.300, 10.1.0.1/24 ]
                  linkId: 4294967296
                  priority: 1
                - groupId: sites
                  privateLinkResourceId: %s
                  privateIps: []
                - name: link
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Approved
                  linkId: -1
                """.formatted(RESOURCE_ID, RESOURCE_ID, RESOURCE_ID)).loadFails();

        Path file = files.endpoints;
        assertError(e, file, 1, "[0].name", "'bad name' (expected: letters, digits, '.', '_' and '-' only)");
        assertError(e, file, 2, "[0].groupId", "(expected: text without surrounding spaces)");
        assertError(e, file, 4, "[0].status", "unknown status 'Maybe'");
        assertError(e, file, 5, "[0].privateIps[0]", "10.1.0.300");
        assertError(e, file, 5, "[0].privateIps[1]", "host bits set in 10.1.0.1/24");
        assertError(e, file, 6, "[0].linkId", "'4294967296' (expected: a whole number from 0 to 4294967295)");
        assertError(e, file, 7, "[0].priority", "unknown key (expected one of: name, groupId, "
                + "privateLinkResourceId, requestMessage, status, description, privateIps, linkId)");
        assertError(e, file, 8, "[1].name", "missing (expected: the endpoint's name)");
        assertError(e, file, 8, "[1].status",
                "missing (expected: Pending, Approved, Rejected, Disconnected or Timeout)");
        assertError(e, file, 8, "[1]", "declares neither privateIps nor linkId (expected: one or both)");
        assertError(e, file, 15, "[2].linkId", "'-1'");
        assertThat(e.errors()).hasSize(11);
    }

    @Test
    void refusesDuplicateNamesCaseInsensitively() {
        ConfigException e = files.endpoints("""
                - name: spe
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Approved
                  privateIps: [ 10.1.0.1 ]
                - name: SPE
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Approved
                  privateIps: [ 10.1.0.2 ]
                """.formatted(RESOURCE_ID, RESOURCE_ID)).loadFails();

        assertError(e, files.endpoints, 6, "[1].name",
                "'SPE' is already the name of another endpoint ([0].name, line 1)");
        assertThat(e.errors()).hasSize(1);
    }

    @Test
    void refusesAPrefixDeclaredByTwoEndpointsAfterCanonicalisation() {
        ConfigException e = files.endpoints("""
                - name: first
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Approved
                  privateIps: [ 10.1.0.4, "fd00::1:0/112" ]
                - name: second
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Pending
                  privateIps:
                    - 10.1.0.0/28
                    - "FD00:0:0:0:0:0:1:0/112"
                    - 10.1.0.4/32
                    - "::ffff:10.1.0.4"
                """.formatted(RESOURCE_ID, RESOURCE_ID)).loadFails();

        Path file = files.endpoints;
        assertError(e, file, 12, "[1].privateIps[1]", "fd00::1:0/112 is declared by both 'first' ([0].privateIps[1], "
                + "line 5) and 'second' ([1].privateIps[1], line 12); two endpoints may not declare the same prefix");
        assertError(e, file, 13, "[1].privateIps[2]", "10.1.0.4/32 is declared by both 'first' ([0].privateIps[0], "
                + "line 5) and 'second' ([1].privateIps[2], line 13)");
        assertError(e, file, 14, "[1].privateIps[3]", "10.1.0.4/32 is declared by both 'first'");
        assertThat(e.errors()).hasSize(3);
    }

    @Test
    void refusesAPrefixListedTwiceInOneEndpoint() {
        ConfigException e = files.endpoints("""
                - name: spe
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Approved
                  privateIps:
                    - 10.1.0.4
                    - 10.1.0.4/32
                """.formatted(RESOURCE_ID)).loadFails();

        assertError(e, files.endpoints, 7, "[0].privateIps[1]",
                "10.1.0.4/32 is listed twice in this endpoint (also [0].privateIps[0], line 6)");
    }

    @Test
    void allowsNestedPrefixes() throws Exception {
        GatewayConfig config = files.endpoints("""
                - name: wide
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Approved
                  privateIps: [ 10.0.0.0/8 ]
                - name: narrow
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Rejected
                  privateIps: [ 10.1.0.0/16, 10.1.2.3 ]
                """.formatted(RESOURCE_ID, RESOURCE_ID)).load();

        assertThat(config.endpoints()).hasSize(2);
    }

    @Test
    void refusesALinkIdDeclaredByTwoEndpoints() {
        ConfigException e = files.endpoints("""
                - name: first
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Approved
                  linkId: 520093697
                - name: second
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Pending
                  privateIps: [ 10.1.0.4 ]
                  linkId: 520093697
                """.formatted(RESOURCE_ID, RESOURCE_ID)).loadFails();

        assertError(e, files.endpoints, 11, "[1].linkId", "linkId 520093697 is declared by both 'first' "
                + "([0].linkId, line 5) and 'second' ([1].linkId, line 11); two endpoints may not share a linkId");
        assertThat(e.errors()).hasSize(1);
    }

    @Test
    void refusesAnEndpointForNoUpstream() {
        ConfigException e = files.endpoints("""
                - name: spe
                  groupId: sites
                  privateLinkResourceId: /subscriptions/0/resourceGroups/other/providers/Microsoft.Web/sites/x
                  status: Approved
                  privateIps: [ 10.1.0.4 ]
                """).loadFails();

        assertError(e, files.endpoints, 3, "[0].privateLinkResourceId",
                "points at no upstream's resourceId (known: " + RESOURCE_ID + ")");
    }

    /** A broken upstream might be the one an endpoint means: no guess, no false alarm. */
    @Test
    void skipsTheUpstreamCheckWhenAnUpstreamIsBroken() {
        ConfigException e = files.gateway(MINIMAL.replace("upstreams:\n", """
                upstreams:
                  - name: broken
                    url: http://127.0.0.1:1
                """)).endpoints("""
                - name: spe
                  groupId: sites
                  privateLinkResourceId: /r/for-the-broken-one
                  status: Approved
                  privateIps: [ 10.1.0.4 ]
                """).loadFails();

        assertThat(e.errors()).singleElement().satisfies(
                error -> assertThat(error.keyPath()).isEqualTo("upstreams[0].resourceId"));
    }

    @Test
    void refusesEmptyAndMisshapenFiles() {
        ConfigException e = files.endpoints("").loadFails();
        assertError(e, files.endpoints, 1, "(document)", "empty file (expected: a list of endpoints; [] for none)");

        e = files.endpoints("name: spe\n").loadFails();
        assertError(e, files.endpoints, 1, "(document)", "expected a list of endpoints (- name: ...); [] for none, "
                + "not a mapping");

        e = files.endpoints("- name: [ x\n").loadFails();
        assertError(e, files.endpoints, 2, "(syntax)", "invalid YAML");
    }

    @Test
    void reloadsTheEndpointsFileAgainstTheLoadedUpstreams() throws Exception {
        GatewayConfig config = files.endpoints("[]\n").load();
        files.endpoints("""
                - name: spe
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Approved
                  privateIps: [ 10.1.0.4 ]
                """.formatted(RESOURCE_ID));
        ConfigLoader loader = new ConfigLoader(Map.of());

        GatewayConfig reloaded = loader.reloadEndpoints(config);

        assertThat(reloaded.endpoints()).extracting(SharedPrivateEndpoint::name).containsExactly("spe");
        assertThat(reloaded.withEndpoints(List.of())).isEqualTo(config);

        files.endpoints("""
                - name: spe
                  groupId: sites
                  privateLinkResourceId: /r/other
                  status: Approved
                  privateIps: [ 10.1.0.4 ]
                """);
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.reloadEndpoints(config));
        assertError(e, files.endpoints, 3, "[0].privateLinkResourceId", "points at no upstream's resourceId");

        Files.delete(files.endpoints);
        e = catchThrowableOfType(ConfigException.class, () -> loader.reloadEndpoints(config));
        assertError(e, files.endpoints, 0, "sharedPrivateEndpoints.file", "no such file");
    }

    @Test
    void validatesAProposedListWithTheSameRules() {
        List<UpstreamConfig> upstreams = List.of(new UpstreamConfig("contoso-func", RESOURCE_ID,
                URI.create("http://127.0.0.1:7071"), List.of(), null, null, null, 256));
        SharedPrivateEndpoint good = new SharedPrivateEndpoint("spe", "sites", RESOURCE_ID.toUpperCase(), null,
                EndpointStatus.PENDING, null, List.of(IpPrefix.parse("10.1.0.4")), new LinkId(7));
        Path file = folder.resolve("endpoints.yaml");

        assertThat(ConfigLoader.validateEndpoints(List.of(good), upstreams, file)).isEmpty();

        SharedPrivateEndpoint clash = new SharedPrivateEndpoint("SPE", "", "/r/other", null,
                EndpointStatus.PENDING, null, List.of(IpPrefix.parse("10.1.0.0/28"), IpPrefix.parse("10.1.0.4/32")),
                new LinkId(7));
        SharedPrivateEndpoint badName = new SharedPrivateEndpoint("a/b", "sites", RESOURCE_ID, null,
                EndpointStatus.PENDING, null, List.of(), new LinkId(8));
        List<ConfigError> errors = ConfigLoader.validateEndpoints(List.of(good, clash, badName), upstreams, file);

        assertThat(errors).extracting(ConfigError::keyPath).containsExactly("[1].groupId", "[1].linkId", "[1].name",
                "[1].privateIps[1]", "[1].privateLinkResourceId", "[2].name");
        assertThat(errors).allSatisfy(error -> {
            assertThat(error.file()).isEqualTo(file);
            assertThat(error.line()).isZero();
        });
        assertThat(errors.get(0).message()).isEqualTo("missing");
        assertThat(errors.get(1).message()).isEqualTo("linkId 7 is declared by both 'spe' ([0].linkId) and 'SPE' "
                + "([1].linkId); two endpoints may not share a linkId");
        assertThat(errors.get(3).message()).startsWith("10.1.0.4/32 is declared by both 'spe' ([0].privateIps[0])");
    }
}
