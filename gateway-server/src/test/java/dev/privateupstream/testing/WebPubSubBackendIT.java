package dev.privateupstream.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link WebPubSubBackend} is the official Web PubSub middleware and answers real {@link CloudEventCalls} as
 * the service expects, sent straight to it (no gateway) from 127.0.0.10; and it answers forged calls just the
 * same, since the middleware checks no signature and no token: the reason the gateway checks them.
 */
class WebPubSubBackendIT {
    @RegisterExtension
    static final WebPubSubBackend backend = new WebPubSubBackend();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE = "127.0.0.10";
    private static final String KEY = "primary-access-key";

    @Test
    void signatureIsHexHmacSha256OfTheConnectionId() {
        // The well-known HMAC-SHA256 example: key "key", the quick brown fox.
        assertThat(CloudEventCalls.signature("key", "The quick brown fox jumps over the lazy dog"))
                .isEqualTo("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
        assertThat(CloudEventCalls.signatureHeader(List.of("k1", "k2"), "c"))
                .isEqualTo(CloudEventCalls.signature("k1", "c") + "," + CloudEventCalls.signature("k2", "c"));
    }

    @Test
    void answersTheAbuseProtectionHandshake() throws Exception {
        final CloudEventCalls.Response response = CloudEventCalls.validate("chat").send(SOURCE, backend.port());

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers("WebHook-Allowed-Origin")).containsExactly("*");
        final WebPubSubBackend.Event event = backend.awaitEvents(1).get(0);
        assertThat(event.type()).isEqualTo("preflight");
        assertThat(event.hub()).isEqualTo("chat");
        assertThat(event.origin()).isEqualTo(CloudEventCalls.DEFAULT_ORIGIN);
        assertThat(event.remoteAddress()).endsWith(SOURCE);
    }

    @Test
    void aHandshakeWithoutOriginIsRefused() throws Exception {
        final CloudEventCalls.Response response = CloudEventCalls.validate("chat").without("WebHook-Request-Origin")
                .send(SOURCE, backend.port());

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("WebHook-Allowed-Origin")).isNull();
        assertThat(backend.events()).isEmpty();
        assertThat(backend.requests()).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("OPTIONS");
            assertThat(r.status()).isEqualTo(400);
        });
    }

    @Test
    void connectIsAnsweredByHandleConnect() throws Exception {
        final CloudEventCalls.Response response = CloudEventCalls.connect("chat", "conn-1").userId("alice")
                .accessKeys(KEY, "secondary-access-key").header("X-Forwarded-For", "10.20.30.40")
                .send(SOURCE, backend.port());

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
        final JsonNode body = JSON.readTree(response.bodyText());
        assertThat(body.path("userId").asText()).isEqualTo("alice");
        assertThat(body.path("groups").toString()).isEqualTo("[\"g1\"]");

        final WebPubSubBackend.Event event = backend.awaitEvents(1).get(0);
        assertThat(event.type()).isEqualTo("connect");
        assertThat(event.hub()).isEqualTo("chat");
        assertThat(event.connectionId()).isEqualTo("conn-1");
        assertThat(event.userId()).isEqualTo("alice");
        assertThat(event.signature()).isEqualTo(CloudEventCalls.signature(KEY, "conn-1") + ","
                + CloudEventCalls.signature("secondary-access-key", "conn-1"));
        assertThat(event.xForwardedFor()).isEqualTo("10.20.30.40");
        assertThat(event.hasAuthorization()).isFalse();
    }

    @Test
    void anonymousConnectGetsTheDefaultUser() throws Exception {
        final CloudEventCalls.Response response = CloudEventCalls.connect("chat", "conn-anon").accessKeys(KEY)
                .send(SOURCE, backend.port());

        assertThat(response.status()).isEqualTo(200);
        assertThat(JSON.readTree(response.bodyText()).path("userId").asText()).isEqualTo("u1");
    }

    @Test
    void connectOfTheDenyUserOrWithADenyClaimFails() throws Exception {
        final CloudEventCalls.Response byUser = CloudEventCalls.connect("chat", "conn-2").userId("deny")
                .accessKeys(KEY).send(SOURCE, backend.port());
        final CloudEventCalls.Response byClaim = CloudEventCalls.connect("chat", "conn-3")
                .connectBody("{\"deny\":[\"yes\"]}", "{}").accessKeys(KEY).send(SOURCE, backend.port());

        assertThat(byUser.status()).isEqualTo(401);
        assertThat(byUser.bodyText()).isEqualTo("nope");
        assertThat(byClaim.status()).isEqualTo(401);
        assertThat(backend.awaitEvents(2)).extracting(e -> e.json().path("denied").asBoolean())
                .containsExactly(true, true);
    }

    @Test
    void userEventsAreEchoedPerHub() throws Exception {
        final CloudEventCalls.Response chat = CloudEventCalls.message("chat", "conn-1", "hello").accessKeys(KEY)
                .send(SOURCE, backend.port());
        final CloudEventCalls.Response other = CloudEventCalls.message("other", "conn-9", "hello").accessKeys(KEY)
                .send(SOURCE, backend.port());
        final CloudEventCalls.Response json = CloudEventCalls.userEvent("chat", "conn-1", "say", "application/json",
                "{\"a\":1}").accessKeys(KEY).send(SOURCE, backend.port());

        assertThat(chat.status()).isEqualTo(200);
        assertThat(chat.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(chat.bodyText()).isEqualTo("echo:hello");
        assertThat(other.status()).isEqualTo(200);
        assertThat(other.bodyText()).isEqualTo("other:hello");
        assertThat(json.bodyText()).isEqualTo("echo:{\"a\":1}");
        assertThat(backend.awaitEvents(3)).extracting(WebPubSubBackend.Event::hub, WebPubSubBackend.Event::eventName,
                WebPubSubBackend.Event::data).containsExactly(
                        tuple("chat", "message", "hello"),
                        tuple("other", "message", "hello"),
                        tuple("chat", "say", "{\"a\":1}"));
    }

    @Test
    void aForgedSignatureAndAnyTokenAreAcceptedTooTheMiddlewareChecksNeither() throws Exception {
        final CloudEventCalls.Response forged = CloudEventCalls.message("chat", "conn-1", "forged")
                .forgedSignature("sha256=deadbeef").header("Authorization", "Bearer not-a-token")
                .send(SOURCE, backend.port());
        final CloudEventCalls.Response unsigned = CloudEventCalls.connect("chat", "conn-4").send(SOURCE, backend.port());

        assertThat(forged.status()).isEqualTo(200);
        assertThat(forged.bodyText()).isEqualTo("echo:forged");
        assertThat(unsigned.status()).isEqualTo(200);
        final List<WebPubSubBackend.Event> events = backend.awaitEvents(2);
        assertThat(events.get(0).signature()).isEqualTo("sha256=deadbeef");
        assertThat(events.get(0).authorization()).isEqualTo("Bearer not-a-token");
        assertThat(events.get(1).signature()).isNull();
    }

    @Test
    void connectedAndDisconnectedAreRecordedAfterTheirEarlyAnswer() throws Exception {
        final CloudEventCalls.Response connected = CloudEventCalls.connected("chat", "conn-5").userId("bob")
                .accessKeys(KEY).send(SOURCE, backend.port());
        final CloudEventCalls.Response disconnected = CloudEventCalls.disconnected("chat", "conn-5", "client left")
                .accessKeys(KEY).send(SOURCE, backend.port());

        assertThat(connected.status()).isEqualTo(200);
        assertThat(connected.body()).isEmpty();
        assertThat(disconnected.status()).isEqualTo(200);
        final WebPubSubBackend.Event gone = backend.awaitEvent(e -> e.type().equals("disconnected"));
        assertThat(gone.connectionId()).isEqualTo("conn-5");
        assertThat(gone.json().path("reason").asText()).isEqualTo("client left");
        assertThat(backend.awaitEvent(e -> e.type().equals("connected")).userId()).isEqualTo("bob");
    }

    @Test
    void callsTheMiddlewareDoesNotRecogniseFallThroughTo404() throws Exception {
        final int wrongHub = CloudEventCalls.message("chat", "conn-1", "x").header("ce-hub", "elsewhere")
                .accessKeys(KEY).send(SOURCE, backend.port()).status();
        final int noVersion = CloudEventCalls.message("chat", "conn-1", "x").without("ce-awpsversion")
                .send(SOURCE, backend.port()).status();
        final int badType = CloudEventCalls.message("chat", "conn-1", "x").contentType("image/png")
                .send(SOURCE, backend.port()).status();

        assertThat(List.of(wrongHub, noVersion, badType)).containsExactly(404, 404, 404);
        assertThat(backend.events()).isEmpty();
        assertThat(backend.requests()).extracting(WebPubSubBackend.Request::status).containsExactly(404, 404, 404);
    }

    @Test
    void eventsAreClearedBeforeEachTest() {
        assertThat(backend.events()).isEmpty();
        assertThat(backend.requests()).isEmpty();
        assertThat(backend.url()).isEqualTo("http://127.0.0.1:" + backend.port());
        assertThat(backend.hubUrl("chat").toString()).endsWith("/api/webpubsub/hubs/chat/");
    }
}
