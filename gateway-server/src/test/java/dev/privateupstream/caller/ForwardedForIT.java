package dev.privateupstream.caller;

import static dev.privateupstream.caller.ProxyHeaders.ascii;
import static dev.privateupstream.caller.ProxyHeaders.concat;
import static dev.privateupstream.caller.ProxyHeaders.v2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RawClient.Response;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code forwardedHeader: x-forwarded-for} over real sockets: 127.0.0.5 is a trusted L7 proxy and
 * 10.200.0.0/16 a trusted inner tier; the backend always gets exactly one {@code X-Forwarded-For}, the
 * resolved caller.
 */
class ForwardedForIT {
    private static final String LISTEN = "  proxyProtocol: optional\n  forwardedHeader: x-forwarded-for\n"
            + "  trustedProxies: [ 127.0.0.5, 10.200.0.0/16 ]\n";

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = CallerGateways.extension(backend, LISTEN);

    private Response call(String source, byte[] header, String... forwardedFor) throws IOException {
        final StringBuilder request = new StringBuilder("GET /x HTTP/1.1\r\nHost: func-a.example\r\n");
        for (String value : forwardedFor) {
            request.append("X-Forwarded-For: ").append(value).append("\r\n");
        }
        request.append("\r\n");
        return gateway.caller(source).send(concat(header, ascii(request.toString()))).read();
    }

    private String seen() throws InterruptedException {
        assertThat(backend.get().awaitCount(1, Duration.ofSeconds(5))).isTrue();
        return String.join("|", backend.received().get(backend.received().size() - 1).headers("X-Forwarded-For"));
    }

    @Test
    void trustedPeerRightmostEntryThatIsNotATrustedProxyIsTheCaller() throws Exception {
        final Response response = call("127.0.0.5", new byte[0], "203.0.113.7, 10.1.0.4, 10.200.0.9");
        assertThat(response.status()).isEqualTo(200);
        assertThat(seen()).isEqualTo("10.1.0.4");
    }

    @Test
    void severalHeaderLinesAreReadAsOneList() throws Exception {
        assertThat(call("127.0.0.5", new byte[0], "203.0.113.7", "10.1.0.4:4711", "10.200.0.9").status())
                .isEqualTo(200);
        assertThat(seen()).isEqualTo("10.1.0.4");
    }

    @Test
    void untrustedPeerHeaderIsIgnoredAndReplaced() throws Exception {
        // From an approved endpoint: allowed as itself, whatever it claims.
        assertThat(call("127.0.0.10", new byte[0], "10.1.0.4").status()).isEqualTo(200);
        assertThat(seen()).isEqualTo("127.0.0.10");
        // From a public peer: refused as itself, the claimed endpoint address notwithstanding.
        final Response spoofed = call("127.0.0.6", new byte[0], "10.1.0.4");
        assertThat(spoofed.status()).isEqualTo(403);
        assertThat(spoofed.header("X-Gateway-Deny-Reason")).isEqualTo("public-network");
        assertThat(backend.received()).hasSize(1);
    }

    @Test
    void malformedEntryNeverBecomesTheCaller() throws Exception {
        // The walk stops at "unknown": the caller is the trusted hop to its right, a private address no
        // endpoint declares, so the client-written 10.1.0.4 further left is never believed.
        final Response stopped = call("127.0.0.5", new byte[0], "10.1.0.4, unknown, 10.200.0.9");
        assertThat(stopped.status()).isEqualTo(403);
        assertThat(stopped.header("X-Gateway-Deny-Reason")).isEqualTo("unknown-private-endpoint");
        final Response garbage = call("127.0.0.5", new byte[0], "10.1.0.4 garbage");
        assertThat(garbage.header("X-Gateway-Deny-Reason")).isEqualTo("public-network");
        assertThat(backend.received()).isEmpty();
    }

    @Test
    void trustedPeerWithoutTheHeaderIsItsOwnCaller() throws Exception {
        final Response response = call("127.0.0.5", new byte[0]);
        assertThat(response.header("X-Gateway-Deny-Reason")).isEqualTo("public-network");
    }

    @Test
    void afterAPROXYHeaderItsSourceIsThePeerTheHeaderIsTrustedFrom() throws Exception {
        // An L4 balancer (127.0.0.5) in front of an L7 tier (10.200.0.9) in front of the gateway.
        assertThat(call("127.0.0.5", v2("10.200.0.9"), "10.1.0.4").status()).isEqualTo(200);
        assertThat(seen()).isEqualTo("10.1.0.4");
        // A PROXY source that is not trusted: its forwarded header is not believed.
        assertThat(call("127.0.0.5", v2("10.1.0.20"), "10.1.0.4").header("X-Gateway-Deny-Reason"))
                .isEqualTo("endpoint-pending");
    }
}
