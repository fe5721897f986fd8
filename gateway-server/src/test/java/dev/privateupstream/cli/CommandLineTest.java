package dev.privateupstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code validate}, {@code explain} and {@code run}'s usage errors: output and exit codes of SPEC §3. */
class CommandLineTest {
    private static final String RESOURCE = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/func";

    @TempDir
    Path dir;

    private final CapturedCommandLine cli = new CapturedCommandLine();
    private final StringWriter out = cli.out;
    private final StringWriter err = cli.err;

    private int run(String... args) {
        return cli.run(args);
    }

    private Path config() throws Exception {
        Files.writeString(dir.resolve("endpoints.yaml"), "- name: spe\n  groupId: sites\n  privateLinkResourceId: "
                + RESOURCE + "\n  status: Approved\n  privateIps: [ 10.1.0.0/28 ]\n"
                + "- name: waiting\n  groupId: sites\n  privateLinkResourceId: " + RESOURCE
                + "\n  status: pending\n  privateIps: [ 10.2.0.4 ]\n  linkId: 520093697\n");
        final Path file = dir.resolve("gateway.yaml");
        Files.writeString(file, "listen:\n  port: 0\nupstreams:\n  - name: func\n    resourceId: " + RESOURCE
                + "\n    url: http://127.0.0.1:7071\n    hosts: [ func.example ]\n"
                + "sharedPrivateEndpoints:\n  file: endpoints.yaml\n");
        return file;
    }

    @Test
    void validatePrintsASummaryAndExitsZero() throws Exception {
        assertThat(run("validate", "--config", config().toString())).isZero();
        assertThat(out.toString()).contains("valid").contains("upstream   func").contains("2 in")
                .contains("1 Approved").contains("1 Pending");
    }

    @Test
    void runRefusesAnUnknownTransportBeforeStarting() throws Exception {
        assertThat(run("run", "--transport", "kqueue", "--config", config().toString())).isEqualTo(2);
        assertThat(err.toString()).contains("unknown transport 'kqueue': use one of auto, epoll, io_uring, nio");
    }

    @Test
    void validateTheShippedExampleConfiguration() {
        final Path example = Path.of("../config/gateway.yaml");
        assertThat(run("validate", "--config", example.toString())).as(err.toString()).isZero();
    }

    @Test
    void validatePrintsEveryErrorWithItsLocationAndExitsTwo() throws Exception {
        final Path file = config();
        Files.writeString(file, Files.readString(file).replace("port: 0", "port: 99999\n  colour: blue")
                .replace("url: http://127.0.0.1:7071", "url: ftp://x"));
        assertThat(run("validate", "--config", file.toString())).isEqualTo(2);
        assertThat(err.toString()).contains(file + ":2: listen.port:").contains(file + ":3: listen.colour:")
                .contains(":7: upstreams[0].url:");
    }

    @Test
    void explainAllowedExitsZeroAndNamesUpstreamEndpointAndRule() throws Exception {
        assertThat(run("explain", "--config", config().toString(), "--source", "10.1.0.4", "--host", "func.example"))
                .isZero();
        assertThat(out.toString()).contains("decision   allow").contains("upstream   func")
                .contains("endpoint   spe (Approved").contains("privateIps 10.1.0.0/28 of spe")
                .contains("signature  not evaluated");
    }

    @Test
    void explainDeniedExitsOne() throws Exception {
        final String config = config().toString();
        assertThat(run("explain", "--config", config, "--source", "203.0.113.7", "--host", "func.example")).isEqualTo(1);
        assertThat(out.toString()).contains("reason     public-network").contains("status     403");
        assertThat(run("explain", "--config", config, "--source", "10.1.0.4")).isEqualTo(1);
        assertThat(out.toString()).contains("reason     no-route").contains("status     404");
        assertThat(run("explain", "--config", config, "--source", "10.2.0.4", "--host", "func.example",
                "--link-id", "520093697")).isEqualTo(1);
        assertThat(out.toString()).contains("reason     endpoint-pending").contains("linkId 520093697 of waiting");
        assertThat(run("explain", "--config", config, "--source", "10.2.0.4", "--host", "func.example")).isEqualTo(1);
        assertThat(out.toString()).contains("reason     link-id-mismatch");
    }

    @Test
    void explainBadInputExitsTwo() throws Exception {
        final String config = config().toString();
        assertThat(run("explain", "--config", config, "--source", "10.1.0.999")).isEqualTo(2);
        assertThat(err.toString()).contains("--source").contains("10.1.0.999");
        assertThat(run("explain", "--config", config, "--source", "10.1.0.4", "--link-id", "-3")).isEqualTo(2);
        assertThat(run("explain", "--config", config)).isEqualTo(2);
        assertThat(err.toString()).contains("--source");
        assertThat(run("frobnicate")).isEqualTo(2);
        assertThat(run()).isEqualTo(2);
    }

    private static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private static final String CALLER = "6b0e1d3c-5a4f-4c1e-9d2b-7f8e9a0b1c2d";

    /** The endpoints of {@link #config()}, a Web PubSub upstream before a SignalR one, and {@code webpubsub}. */
    private Path webPubSubConfig(String webpubsub) throws Exception {
        final Path file = config();
        Files.writeString(file, "listen:\n  port: 0\n" + webpubsub + "upstreams:\n  - name: wps\n"
                + "    protocol: webpubsub\n    resourceId: " + RESOURCE + "\n    url: http://127.0.0.1:7072\n"
                + "    hosts: [ func.example ]\n    categoryPattern: system,user\n"
                + "  - name: func\n    resourceId: " + RESOURCE + "\n    url: http://127.0.0.1:7071\n"
                + "    hosts: [ func.example ]\nsharedPrivateEndpoints:\n  file: endpoints.yaml\n");
        return file;
    }

    private static String identity() {
        return "  identity:\n    tenantId: " + TENANT + "\n    audiences: [ \"api://contoso-gateway\" ]\n"
                + "    allowedCallers: [ " + CALLER + " ]\n";
    }

    @Test
    void explainWebPubSubNamesTheWebPubSubUpstream() throws Exception {
        final String config = webPubSubConfig("webpubsub:\n  accessKeys: [ k ]\n").toString();
        assertThat(run("explain", "--config", config, "--service", "webpubsub", "--source", "10.1.0.4", "--host",
                "func.example", "--hub", "chat", "--event", "message")).as(err.toString()).isZero();
        assertThat(out.toString().lines()).contains("decision   allow", "status     forwarded (the backend answers)",
                "upstream   wps -> http://127.0.0.1:7072 (webpubsub, resource " + RESOURCE + ")",
                "endpoint   spe (Approved, resource " + RESOURCE + ")", "token      not required",
                "request    not evaluated (Web PubSub request validation needs a real request)");
        assertThat(out.toString()).doesNotContain("handshake");
    }

    @Test
    void explainWebPubSubOfAPendingEndpointIsDenied() throws Exception {
        final String config = webPubSubConfig("webpubsub:\n  accessKeys: [ k ]\n").toString();
        assertThat(run("explain", "--config", config, "--service", "WebPubSub", "--source", "10.2.0.4", "--host",
                "func.example", "--link-id", "520093697", "--event", "connect")).isEqualTo(1);
        assertThat(out.toString().lines()).contains("decision   deny", "reason     endpoint-pending",
                "upstream   wps -> http://127.0.0.1:7072 (webpubsub, resource " + RESOURCE + ")");
    }

    @Test
    void explainSaysATokenIsRequiredOnlyForTheProtocolWithAnIdentity() throws Exception {
        final String config = webPubSubConfig("webpubsub:\n  accessKeys: [ k ]\n" + identity()).toString();
        assertThat(run("explain", "--config", config, "--service", "webpubsub", "--source", "10.1.0.4", "--host",
                "func.example", "--category", "system", "--event", "connected")).as(err.toString()).isZero();
        assertThat(out.toString().lines()).contains("token      required, not evaluated (webpubsub.identity: tenant "
                + TENANT + ", audiences [api://contoso-gateway], callers [" + CALLER + "])");
        out.getBuffer().setLength(0);
        assertThat(run("explain", "--config", config, "--source", "10.1.0.4", "--host", "func.example", "--hub",
                "chat", "--category", "messages", "--event", "send")).as(err.toString()).isZero();
        assertThat(out.toString().lines()).contains(
                "upstream   func -> http://127.0.0.1:7071 (signalr, resource " + RESOURCE + ")",
                "token      not required",
                "request    not evaluated (SignalR request validation needs a real request)");
    }

    @Test
    void explainTheHandshakeAnsweredByTheGatewayWhenOriginsAreSet() throws Exception {
        final String withOrigins = webPubSubConfig("webpubsub:\n  accessKeys: [ k ]\n"
                + "  allowedOrigins: [ contoso.webpubsub.azure.com ]\n").toString();
        assertThat(run("explain", "--config", withOrigins, "--service", "webpubsub", "--handshake", "--source",
                "10.1.0.4", "--host", "func.example")).as(err.toString()).isZero();
        assertThat(out.toString().lines()).contains(
                "upstream   wps -> http://127.0.0.1:7072 (webpubsub, resource " + RESOURCE + ")",
                "handshake  answered by the gateway (webpubsub.allowedOrigins), never forwarded");
        out.getBuffer().setLength(0);
        final String withoutOrigins = webPubSubConfig("webpubsub:\n  accessKeys: [ k ]\n").toString();
        assertThat(run("explain", "--config", withoutOrigins, "--service", "webpubsub", "--handshake", "--source",
                "10.1.0.4", "--host", "func.example")).as(err.toString()).isZero();
        assertThat(out.toString()).contains("upstream   wps -> ").doesNotContain("handshake");
    }

    @Test
    void explainWebPubSubBadInputExitsTwo() throws Exception {
        final String config = webPubSubConfig("webpubsub:\n  accessKeys: [ k ]\n").toString();
        assertThat(run("explain", "--config", config, "--service", "webpubsub", "--source", "10.1.0.4", "--host",
                "func.example", "--category", "bogus")).isEqualTo(2);
        assertThat(err.toString()).contains("error: --category bogus (expected with --service webpubsub: system or user)");
        assertThat(run("explain", "--config", config, "--service", "mqtt", "--source", "10.1.0.4")).isEqualTo(2);
        assertThat(err.toString()).contains("error: --service mqtt (expected: signalr or webpubsub)");
        assertThat(run("explain", "--config", config, "--handshake", "--source", "10.1.0.4")).isEqualTo(2);
        assertThat(err.toString()).contains("error: --handshake: only with --service webpubsub");
        assertThat(out.toString()).isEmpty();
    }
}
