package dev.privateupstream.caller;

import static dev.privateupstream.caller.CallerGateways.awaitDenied;
import static dev.privateupstream.caller.CallerGateways.denied;
import static dev.privateupstream.caller.CallerGateways.get;
import static dev.privateupstream.caller.ProxyHeaders.ascii;
import static dev.privateupstream.caller.ProxyHeaders.concat;
import static dev.privateupstream.caller.ProxyHeaders.v1Tcp4;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RawClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code rejectAtConnect: true} over real sockets: a source no endpoint can ever allow sees its connection
 * closed before it sends anything; 127.0.0.5 is a trusted PROXY sender whose header source is judged.
 */
class RejectAtConnectIT {
    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = CallerGateways.extension(backend,
            "  rejectAtConnect: true\n  proxyProtocol: optional\n  trustedProxies: [ 127.0.0.5 ]\n");

    @Test
    void sourceThatCanNeverBeAllowedIsClosedBeforeItSendsAByte() throws Exception {
        // 127.0.0.99 matches no endpoint, 127.0.0.20 is pending, 127.0.0.30 rejected.
        for (String source : new String[] {"127.0.0.99", "127.0.0.20", "127.0.0.30"}) {
            assertThat(gateway.caller(source).closedByServer()).as(source).isTrue();
        }
        assertThat(awaitDenied(gateway.server(), "rejected-at-connect", 3)).isEqualTo(3);
        // Counted as opened and closed, not left open: the gauge returns to zero.
        for (int i = 0; i < 500 && gateway.server().metrics().activeConnections() != 0; i++) {
            Thread.sleep(10);
        }
        assertThat(gateway.server().metrics().activeConnections()).isZero();
    }

    @Test
    void allowedSourceIsServed() throws Exception {
        assertThat(gateway.caller("127.0.0.10").send(get("/x")).read().status()).isEqualTo(200);
        assertThat(denied(gateway.server(), "rejected-at-connect")).isZero();
    }

    @Test
    void trustedProxyIsJudgedByItsHeaderSourceBeforeTheRequest() throws Exception {
        final RawClient refused = gateway.caller("127.0.0.5");
        refused.send(concat(v1Tcp4("10.99.0.1"), ascii(get("/x"))));
        assertThat(refused.closedByServer()).isTrue();
        assertThat(awaitDenied(gateway.server(), "rejected-at-connect", 1)).isEqualTo(1);
        assertThat(gateway.caller("127.0.0.5").send(concat(v1Tcp4("10.1.0.4"), ascii(get("/x")))).read().status())
                .isEqualTo(200);
        assertThat(backend.received()).hasSize(1);
        assertThat(backend.received().get(0).header("X-Forwarded-For")).isEqualTo("10.1.0.4");
    }
}
