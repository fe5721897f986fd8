package dev.privateupstream.caller;

import static dev.privateupstream.caller.CallerGateways.LINK_ID;
import static dev.privateupstream.caller.CallerGateways.LINK_ID_WITH_IPS;
import static dev.privateupstream.caller.CallerGateways.awaitDenied;
import static dev.privateupstream.caller.CallerGateways.denied;
import static dev.privateupstream.caller.CallerGateways.get;
import static dev.privateupstream.caller.ProxyHeaders.LOCAL;
import static dev.privateupstream.caller.ProxyHeaders.PROXY;
import static dev.privateupstream.caller.ProxyHeaders.TCP4;
import static dev.privateupstream.caller.ProxyHeaders.UDP4;
import static dev.privateupstream.caller.ProxyHeaders.ascii;
import static dev.privateupstream.caller.ProxyHeaders.azureLinkId;
import static dev.privateupstream.caller.ProxyHeaders.concat;
import static dev.privateupstream.caller.ProxyHeaders.v1;
import static dev.privateupstream.caller.ProxyHeaders.v1Tcp4;
import static dev.privateupstream.caller.ProxyHeaders.v2;
import static dev.privateupstream.caller.ProxyHeaders.v2Raw;
import static dev.privateupstream.caller.ProxyHeaders.v2WithCrc32c;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.privateupstream.testing.BackendExtension;
import dev.privateupstream.testing.GatewayExtension;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RawClient.Response;
import dev.privateupstream.testing.TestGateway;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * PROXY protocol v1 and v2 over real loopback sockets, with headers built byte by byte: 127.0.0.5 is the
 * trusted proxy, 127.0.0.6 an untrusted peer, and 127.0.0.10 (an approved endpoint) is trusted too, so
 * that a trusted peer sending no header can be seen to be its own caller.
 */
class ProxyProtocolIT {
    private static final String OPTIONAL = "  proxyProtocol: optional\n  trustedProxies: [ 127.0.0.5, 127.0.0.10 ]\n";

    @RegisterExtension
    final BackendExtension backend = new BackendExtension();
    @RegisterExtension
    final GatewayExtension gateway = CallerGateways.extension(backend, OPTIONAL);

    private Response call(String source, byte[] header) throws IOException {
        return call(gateway.caller(source), header);
    }

    private static Response call(RawClient client, byte[] header) throws IOException {
        return client.send(concat(header, ascii(get("/x")))).read();
    }

    private String forwardedFor() throws InterruptedException {
        assertThat(backend.get().awaitCount(1, Duration.ofSeconds(5))).isTrue();
        return String.join("|", backend.received().get(backend.received().size() - 1).headers("X-Forwarded-For"));
    }

    /** Sends {@code bytes} and expects the gateway to close the connection without answering. */
    private void assertClosed(String source, byte[] bytes) throws IOException {
        assertClosed(gateway.caller(source), bytes);
    }

    private static void assertClosed(RawClient client, byte[] bytes) throws IOException {
        try {
            client.send(bytes);
        } catch (IOException e) {
            return; // reset while writing: closed all the same
        }
        assertThat(client.closedByServer()).isTrue();
    }

    @Test
    void trustedV1HeaderNamesTheCaller() throws Exception {
        final Response response = call("127.0.0.5", v1Tcp4("10.1.0.4"));
        assertThat(response.status()).isEqualTo(200);
        assertThat(forwardedFor()).isEqualTo("10.1.0.4");
    }

    @Test
    void trustedV2HeaderNamesTheCallerForEveryRequestOfTheConnection() throws Exception {
        final RawClient client = gateway.caller("127.0.0.5");
        client.send(concat(v2("10.1.0.4"), ascii(get("/one"))));
        assertThat(client.read().status()).isEqualTo(200);
        assertThat(client.send(get("/two")).read().status()).isEqualTo(200);
        assertThat(backend.received()).hasSize(2);
        assertThat(backend.received()).allSatisfy(r -> assertThat(r.headers("X-Forwarded-For"))
                .containsExactly("10.1.0.4"));
    }

    @Test
    void headerSentAloneBeforeTheRequestIsFollowedByReading() throws Exception {
        // What HAProxy does: the header as soon as it connects, the client's bytes when they come.
        for (byte[] header : new byte[][] {v1Tcp4("10.1.0.4"), v2("10.1.0.4")}) {
            final RawClient client = gateway.caller("127.0.0.5");
            client.send(header);
            Thread.sleep(50); // lets the header arrive in a read of its own; not a timing assertion
            assertThat(client.send(get("/x")).timeout(5000).read().status()).isEqualTo(200);
        }
    }

    @Test
    void headerSourceIsJudgedNotTheProxy() throws Exception {
        final Response pending = call("127.0.0.5", v2("10.1.0.20"));
        assertThat(pending.status()).isEqualTo(403);
        assertThat(pending.header("X-Gateway-Deny-Reason")).isEqualTo("endpoint-pending");
        assertThat(backend.received()).isEmpty();
    }

    @Test
    void untrustedPeerSendingAHeaderIsClosedAndCounted() throws Exception {
        assertClosed("127.0.0.6", concat(v1Tcp4("10.1.0.4"), ascii(get("/x"))));
        assertClosed("127.0.0.6", concat(v2("10.1.0.4"), ascii(get("/x"))));
        assertThat(awaitDenied(gateway.server(), "untrusted-proxy", 2)).isEqualTo(2);
        assertThat(backend.received()).isEmpty();
    }

    @Test
    void malformedTruncatedAndOversizedHeadersAreClosedAndCounted() throws Exception {
        final byte[] ok = v2("10.1.0.4");
        final byte[] addresses = Arrays.copyOfRange(ok, 16, ok.length);
        assertClosed("127.0.0.5", concat(v1("PROXY TCP4 10.1.0.4 nonsense"), ascii(get("/x"))));
        assertClosed("127.0.0.5", concat(v1("PROXY TCP4 010.1.0.4 127.0.0.1 1 2"), ascii(get("/x"))));
        assertClosed("127.0.0.5", ascii("PROXY TCP4 " + "9".repeat(300) + "\r\n"));
        assertClosed("127.0.0.5", concat(v2Raw(PROXY, TCP4, 60000, addresses), new byte[4000]));
        assertClosed("127.0.0.5", concat(v2Raw(PROXY, TCP4, 4, Arrays.copyOf(addresses, 4)), ascii(get("/x"))));
        assertClosed("127.0.0.5", concat(v2Raw(0x31, TCP4, addresses.length, addresses), ascii(get("/x"))));
        assertThat(awaitDenied(gateway.server(), "bad-proxy-header", 6)).isEqualTo(6);
        assertThat(backend.received()).isEmpty();
    }

    @Test
    void crc32cIsVerifiedAndAHeaderDamagedOnTheWayIsClosedAndCounted() throws Exception {
        assertThat(call("127.0.0.5", v2WithCrc32c("10.1.0.4")).status()).isEqualTo(200);
        assertThat(forwardedFor()).isEqualTo("10.1.0.4");
        // One bit of the source flipped (10.1.0.4 becomes 10.1.0.0): without the check, a caller nobody sent.
        final byte[] damaged = v2WithCrc32c("10.1.0.4");
        damaged[16 + 3] ^= 0x04;
        assertClosed("127.0.0.5", concat(damaged, ascii(get("/x"))));
        assertThat(awaitDenied(gateway.server(), "bad-proxy-header", 1)).isEqualTo(1);
        assertThat(backend.received()).hasSize(1);
    }

    @Test
    void headerThatStopsHalfwayIsClosedAfterTheHeaderTimeout(@TempDir Path dir) throws Exception {
        // A gateway of its own with a short header timeout; the declared one is left alone.
        final byte[] header = v2("10.1.0.4");
        try (TestGateway impatient = CallerGateways.start(dir, backend.get(), OPTIONAL,
                "limits:\n  headerTimeout: 300ms\n")) {
            try (RawClient client = new RawClient("127.0.0.5", impatient.port())) {
                client.send(Arrays.copyOf(header, header.length - 2)).timeout(10_000);
                assertThat(client.closedByServer()).isTrue();
            }
            assertThat(awaitDenied(impatient.server(), "bad-proxy-header", 1)).isEqualTo(1);
        }
        assertThat(backend.received()).isEmpty();
    }

    @Test
    void trustedPeerWithoutHeaderIsItsOwnCaller() throws Exception {
        assertThat(call("127.0.0.10", new byte[0]).status()).isEqualTo(200);
        assertThat(forwardedFor()).isEqualTo("127.0.0.10");
        assertThat(denied(gateway.server(), "bad-proxy-header")).isZero();
    }

    @Test
    void azureLinkIdPicksItsEndpointAndIsLogged() throws Exception {
        // An endpoint declared by link id only: the NAT source address does not matter.
        final ListAppender<ILoggingEvent> lines = new ListAppender<>();
        final Logger accessLog = (Logger) LoggerFactory.getLogger("gateway.access");
        final Level level = accessLog.getLevel();
        accessLog.setLevel(Level.INFO);
        lines.start();
        accessLog.addAppender(lines);
        try {
            assertThat(call("127.0.0.5", v2("10.250.0.1", azureLinkId(LINK_ID))).status()).isEqualTo(200);
            assertThat(forwardedFor()).isEqualTo("10.250.0.1");
            final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (lines.list.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } finally {
            accessLog.detachAppender(lines);
            accessLog.setLevel(level);
        }
        assertThat(lines.list).singleElement().extracting(ILoggingEvent::getFormattedMessage).asString()
                .contains("\"caller\":\"10.250.0.1\"", "\"peer\":\"127.0.0.5:", "\"linkId\":" + LINK_ID,
                        "\"endpoint\":\"linked\"");
        // Link id 7 also declares 10.3.0.0/24: from 10.3.0.9 allowed, from 10.1.0.4 a mismatch.
        assertThat(call("127.0.0.5", v2("10.3.0.9", azureLinkId(LINK_ID_WITH_IPS))).status()).isEqualTo(200);
        final Response mismatch = call("127.0.0.5", v2("10.1.0.4", azureLinkId(LINK_ID_WITH_IPS)));
        assertThat(mismatch.status()).isEqualTo(403);
        assertThat(mismatch.header("X-Gateway-Deny-Reason")).isEqualTo("link-id-mismatch");
        // Without its link id, an address of an endpoint that declares one is a mismatch too.
        assertThat(call("127.0.0.5", v2("10.3.0.9")).header("X-Gateway-Deny-Reason")).isEqualTo("link-id-mismatch");
        assertThat(backend.received()).hasSize(2);
    }

    @Test
    void ipv6SourceIsForwardedInCanonicalForm() throws Exception {
        assertThat(call("127.0.0.5", v2("fd00:0:0:0:0:0:0:4")).status()).isEqualTo(200);
        assertThat(forwardedFor()).isEqualTo("fd00::4");
    }

    @Test
    void udpFamilyNamesItsSourceAsTcpDoes() throws Exception {
        assertThat(call("127.0.0.5", v2(PROXY, UDP4, "10.1.0.4", "127.0.0.1")).status()).isEqualTo(200);
        assertThat(forwardedFor()).isEqualTo("10.1.0.4");
    }

    @Test
    void localCommandLeavesTheTcpPeerAsCaller() throws Exception {
        // A load balancer's health check: from the approved 127.0.0.10 allowed as itself...
        assertThat(call("127.0.0.10", v2(LOCAL, TCP4, "10.1.0.4", "127.0.0.1")).status()).isEqualTo(200);
        assertThat(forwardedFor()).isEqualTo("127.0.0.10");
        // ...and from the proxy at 127.0.0.5 refused as the public address it is.
        final Response fromProxy = call("127.0.0.5", v2(LOCAL, TCP4, "10.1.0.4", "127.0.0.1"));
        assertThat(fromProxy.header("X-Gateway-Deny-Reason")).isEqualTo("public-network");
    }

    @Test
    void requiredClosesUntrustedPeersAtConnectAndTrustedOnesWithoutHeader(@TempDir Path dir) throws Exception {
        // A gateway of its own that requires the header; the declared one is left alone.
        final String listen = OPTIONAL.replace("optional", "required");
        try (TestGateway required = CallerGateways.start(dir, backend.get(), listen)) {
            try (RawClient client = new RawClient("127.0.0.6", required.port())) {
                assertThat(client.closedByServer()).as("closed with nothing sent").isTrue();
            }
            try (RawClient client = new RawClient("127.0.0.10", required.port())) {
                assertClosed(client, ascii(get("/x")));
            }
            assertThat(awaitDenied(required.server(), "untrusted-proxy", 1)).isEqualTo(1);
            assertThat(awaitDenied(required.server(), "bad-proxy-header", 1)).isEqualTo(1);
            try (RawClient client = new RawClient("127.0.0.5", required.port())) {
                assertThat(call(client, v1Tcp4("10.1.0.4")).status()).isEqualTo(200);
            }
        }
        assertThat(backend.received()).hasSize(1);
    }
}
