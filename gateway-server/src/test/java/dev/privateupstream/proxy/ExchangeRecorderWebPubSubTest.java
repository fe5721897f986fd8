package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.caller.ConnectionFacts;
import dev.privateupstream.config.SignalRConfig;
import dev.privateupstream.config.WebPubSubConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.reload.PolicyRef;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The access log line of a Web PubSub call (SPEC §13): {@code hub}, {@code category}, {@code event},
 * {@code connectionId} and {@code userId} come from its {@code ce-*} headers, a SignalR call beside it keeps
 * its {@code X-ASRS-*} ones, and what a client sends is escaped. The exchange is decided by the real
 * {@link AccessDecisionHandler} on an embedded channel, then written by {@link ExchangeRecorder#line}.
 */
class ExchangeRecorderWebPubSubTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATH = "/runtime/webhooks/webpubsub?code=k";

    private final GatewayMetrics metrics = new GatewayMetrics();
    private EmbeddedChannel channel;

    @AfterEach
    void finish() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    /** Decides {@code request} from {@code source} and answers it with {@code status}; its access log line. */
    private JsonNode logged(String source, HttpRequest request, int status) throws Exception {
        final PolicyRef policy = new PolicyRef(ProxyTestChannels.webPubSubConfig(
                new SignalRConfig(List.of("signalr-key"), true, true),
                new WebPubSubConfig(List.of("wps-key"), true, true, List.of(), null)));
        channel = ProxyTestChannels.from(source, new AccessDecisionHandler(policy, metrics));
        final ProxyExchange exchange = ProxyTestChannels.exchange(channel, request);
        channel.writeInbound(request);
        ReferenceCountUtil.release(channel.readOutbound()); // a refusal, when there is one
        channel.readInbound();
        exchange.status = status;
        final String line = ExchangeRecorder.line(exchange, ConnectionFacts.of(channel));
        assertThat(line).doesNotContain("\n").doesNotContain("\r");
        return JSON.readTree(line);
    }

    private static HttpRequest event(String type, String eventName, String userId) {
        final HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, PATH,
                DefaultHttpHeadersFactory.headersFactory().withValidation(false));
        request.headers().set("Host", "func.example").set("ce-specversion", "1.0").set("ce-type", type)
                .set("ce-id", "42").set("ce-hub", "chat").set("ce-connectionId", "conn-1")
                .set("ce-eventName", eventName).set("Content-Type", "text/plain")
                .set("WebHook-Request-Origin", "contoso.webpubsub.azure.com");
        if (userId != null) {
            request.headers().set("ce-userId", userId);
        }
        return request;
    }

    private static List<String> fieldNames(JsonNode node) {
        final List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    @Test
    void aUserEventIsLoggedByItsCloudEventsHeaders() throws Exception {
        final JsonNode line = logged("127.0.0.10", event("azure.webpubsub.user.message", "message", "alice"), 200);
        assertThat(fieldNames(line)).containsExactly("time", "caller", "peer", "method", "path", "host", "upstream",
                "endpoint", "outcome", "reason", "status", "bytesIn", "bytesOut", "durationMs", "hub", "category",
                "event", "connectionId", "userId");
        assertThat(Instant.parse(line.get("time").asText())).isBefore(Instant.now().plusSeconds(1));
        assertThat(line.get("caller").asText()).isEqualTo("127.0.0.10");
        assertThat(line.get("peer").asText()).isEqualTo("127.0.0.10:40000");
        assertThat(line.get("method").asText()).isEqualTo("POST");
        assertThat(line.get("path").asText()).isEqualTo(PATH);
        assertThat(line.get("host").asText()).isEqualTo("func.example");
        assertThat(line.get("upstream").asText()).isEqualTo("wps");
        assertThat(line.get("endpoint").asText()).isEqualTo("approved");
        assertThat(line.get("outcome").asText()).isEqualTo("forwarded");
        assertThat(line.get("reason").isNull()).isTrue();
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("hub").asText()).isEqualTo("chat");
        assertThat(line.get("category").asText()).isEqualTo("user");
        assertThat(line.get("event").asText()).isEqualTo("message");
        assertThat(line.get("connectionId").asText()).isEqualTo("conn-1");
        assertThat(line.get("userId").asText()).isEqualTo("alice");
    }

    @Test
    void aSystemEventIsCategorySystemAndAnAnonymousOneHasNoUserId() throws Exception {
        final HttpRequest connect = event("azure.webpubsub.sys.connect", "connect", null);
        connect.headers().set("Content-Type", "application/json");
        final JsonNode line = logged("127.0.0.10", connect, 200);
        assertThat(line.get("upstream").asText()).isEqualTo("wps");
        assertThat(line.get("hub").asText()).isEqualTo("chat");
        assertThat(line.get("category").asText()).isEqualTo("system");
        assertThat(line.get("event").asText()).isEqualTo("connect");
        assertThat(line.get("connectionId").asText()).isEqualTo("conn-1");
        assertThat(line.has("userId")).isFalse();
    }

    @Test
    void aTypeOutsideWebPubSubLogsNoCategory() throws Exception {
        // Routed nowhere (public network): the ce-* headers are logged, but no category is made up.
        final JsonNode line = logged("127.0.0.1", event("com.example.other", "message", "alice"), 403);
        assertThat(line.get("reason").asText()).isEqualTo("public-network");
        assertThat(line.get("hub").asText()).isEqualTo("chat");
        assertThat(line.has("category")).isFalse();
        assertThat(line.get("event").asText()).isEqualTo("message");
        assertThat(line.get("userId").asText()).isEqualTo("alice");
    }

    @Test
    void aSignalRCallBesideAWebPubSubUpstreamKeepsItsOwnHeaders() throws Exception {
        final HttpRequest signalr = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                "/runtime/webhooks/signalr");
        signalr.headers().set("Host", "func.example").set("X-ASRS-Hub", "lobby").set("X-ASRS-Category", "messages")
                .set("X-ASRS-Event", "send").set("X-ASRS-Connection-Id", "asrs-1").set("X-ASRS-User-Id", "bob")
                .set("Content-Type", "application/json")
                // ce-* beside them are not what routed the call: they are not logged.
                .set("ce-hub", "decoy").set("ce-userId", "mallory").set("ce-connectionId", "decoy-1");
        final JsonNode line = logged("127.0.0.10", signalr, 200);
        assertThat(line.get("upstream").asText()).isEqualTo("func");
        assertThat(line.get("hub").asText()).isEqualTo("lobby");
        assertThat(line.get("category").asText()).isEqualTo("messages");
        assertThat(line.get("event").asText()).isEqualTo("send");
        assertThat(line.get("connectionId").asText()).isEqualTo("asrs-1");
        assertThat(line.get("userId").asText()).isEqualTo("bob");
    }

    @Test
    void aCallThatRoutedNowhereIsLoggedByItsCloudEventsHeadersWhenItHasNoSignalRHub() throws Exception {
        final JsonNode line = logged("127.0.0.1", event("azure.webpubsub.user.message", "message", "alice"), 403);
        assertThat(line.get("upstream").asText()).isEqualTo("none");
        assertThat(line.get("endpoint").isNull()).isTrue();
        assertThat(line.get("outcome").asText()).isEqualTo("denied");
        assertThat(line.get("reason").asText()).isEqualTo("public-network");
        assertThat(line.get("hub").asText()).isEqualTo("chat");
        assertThat(line.get("category").asText()).isEqualTo("user");
        assertThat(line.get("event").asText()).isEqualTo("message");
        assertThat(line.get("connectionId").asText()).isEqualTo("conn-1");
        assertThat(line.get("userId").asText()).isEqualTo("alice");

        final HttpRequest both = event("azure.webpubsub.user.message", "message", "alice");
        both.headers().set("X-ASRS-Hub", "lobby").set("X-ASRS-Connection-Id", "asrs-1");
        final JsonNode signalr = logged("127.0.0.1", both, 403);
        assertThat(signalr.get("upstream").asText()).isEqualTo("none");
        assertThat(signalr.get("hub").asText()).isEqualTo("lobby");
        assertThat(signalr.get("connectionId").asText()).isEqualTo("asrs-1");
        assertThat(signalr.has("category")).isFalse();
        assertThat(signalr.has("event")).isFalse();
        assertThat(signalr.has("userId")).isFalse();
    }

    @Test
    void aHostileUserIdIsEscapedNotTrusted() throws Exception {
        final String hostile = "alice\",\"outcome\":\"forwarded\",\"reason\":null}\n{\"caller\":\"10.0.0.1\\\u0001";
        final JsonNode line = logged("127.0.0.20", event("azure.webpubsub.user.message", "message", hostile), 403);
        assertThat(line.get("userId").asText()).isEqualTo(hostile);
        assertThat(line.get("outcome").asText()).isEqualTo("denied");
        assertThat(line.get("reason").asText()).isEqualTo("endpoint-pending");
        assertThat(line.get("caller").asText()).isEqualTo("127.0.0.20");
        assertThat(fieldNames(line)).containsExactly("time", "caller", "peer", "method", "path", "host", "upstream",
                "endpoint", "outcome", "reason", "status", "bytesIn", "bytesOut", "durationMs", "hub", "category",
                "event", "connectionId", "userId");
    }
}
