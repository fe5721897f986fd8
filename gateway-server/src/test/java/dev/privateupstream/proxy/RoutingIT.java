package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Routing by Host and SignalR patterns to the first matching upstream, in file order (SPEC §4). */
class RoutingIT {
    // The gateway's file names the backends' ports: whichever JUnit starts first, a.url() starts its backend.
    @RegisterExtension
    final BackendExtension a = new BackendExtension();
    @RegisterExtension
    final BackendExtension b = new BackendExtension();
    @RegisterExtension
    final BackendExtension c = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = GatewayExtension.of(() -> TestGateway.gatewayYaml(
            TestGateway.upstream("func-a", TestGateway.RESOURCE, a.url(), "    hosts: [ func-a.example ]\n")
            + TestGateway.upstream("func-b-connections", TestGateway.OTHER_RESOURCE, b.url(),
                    "    hosts: [ func-b.example ]\n    categoryPattern: connections\n")
            + TestGateway.upstream("func-b-rest", TestGateway.OTHER_RESOURCE, c.url(),
                    "    hosts: [ func-b.example ]\n    hubPattern: \"chat, news\"\n"), ""),
            () -> TestGateway.endpoint("a", TestGateway.RESOURCE, "Approved", "127.0.0.10")
                    + TestGateway.endpoint("b", TestGateway.OTHER_RESOURCE, "Approved", "127.0.0.11"));

    private static String request(String host, String hub, String category, String event) {
        return "POST /runtime/webhooks/signalr HTTP/1.1\r\nHost: " + host + "\r\nX-ASRS-Hub: " + hub
                + "\r\nX-ASRS-Category: " + category + "\r\nX-ASRS-Event: " + event + "\r\nContent-Length: 0\r\n\r\n";
    }

    @Test
    void eachCallReachesTheUpstreamItsHostAndPatternsSelect() throws Exception {
        final RawClient callerA = gateway.caller("127.0.0.10");
        final RawClient callerB = gateway.caller("127.0.0.11");
        assertThat(callerA.send(request("FUNC-A.example:8080", "chat", "messages", "x")).read().status())
                .isEqualTo(200);
        assertThat(callerB.send(request("func-b.example", "chat", "connections", "connected")).read()
                .status()).isEqualTo(200);
        assertThat(callerB.send(request("func-b.example", "News", "messages", "send")).read().status())
                .isEqualTo(200);
        // Approved for func-b's resource, but the Host routes to func-a.
        final Response wrong = callerB.send(request("func-a.example", "chat", "messages", "x")).read();
        assertThat(wrong.header("X-Gateway-Deny-Reason")).isEqualTo("wrong-upstream");
        // No upstream takes this hub on func-b.example.
        final Response none = callerB.send(request("func-b.example", "other", "messages", "x")).read();
        assertThat(none.status()).isEqualTo(404);
        assertThat(none.header("X-Gateway-Deny-Reason")).isEqualTo("no-route");
        assertThat(a.received()).hasSize(1);
        assertThat(b.received()).hasSize(1);
        assertThat(b.received().get(0).header("X-ASRS-Category")).isEqualTo("connections");
        assertThat(c.received()).hasSize(1);
        assertThat(c.received().get(0).header("X-ASRS-Hub")).isEqualTo("News");
        assertThat(a.received().get(0).header("Host")).isEqualTo("FUNC-A.example:8080");
    }
}
