package dev.privateupstream.signalr;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SignalRRequestCheckTest {

    private static SignalRRequestProblem check(String method, String connectionId, String hub, String category,
                                               String event, String contentType) {
        return SignalRRequestCheck.check(method, connectionId, hub, category, event, contentType);
    }

    @Test
    void wellFormedCalls() {
        assertThat(check("POST", "c1", "chat", "connections", "connected", "application/json")).isEqualTo(SignalRRequestProblem.NONE);
        assertThat(check("POST", "c1", "chat", "connections", "disconnected", "application/json")).isEqualTo(SignalRRequestProblem.NONE);
        assertThat(check("POST", "c1", "chat", "messages", "broadcast", "application/json")).isEqualTo(SignalRRequestProblem.NONE);
        assertThat(check("POST", "c1", "chat", "messages", "broadcast", "application/x-msgpack")).isEqualTo(SignalRRequestProblem.NONE);
        assertThat(SignalRRequestProblem.NONE.isProblem()).isFalse();
    }

    @Test
    void notPost() {
        for (String method : new String[] { "GET", "PUT", "HEAD", "post", "POST ", "" }) {
            assertThat(check(method, "c1", "chat", "messages", "broadcast", "application/json"))
                .as(method).isEqualTo(SignalRRequestProblem.NOT_POST);
        }
        assertThat(check(null, "c1", "chat", "messages", "broadcast", "application/json")).isEqualTo(SignalRRequestProblem.NOT_POST);
        assertThat(SignalRRequestProblem.NOT_POST.httpStatus()).isEqualTo(405);
    }

    @Test
    void missingHeaders() {
        assertThat(check("POST", null, "chat", "messages", "broadcast", "application/json")).isEqualTo(SignalRRequestProblem.MISSING_CONNECTION_ID);
        assertThat(check("POST", "c1", null, "messages", "broadcast", "application/json")).isEqualTo(SignalRRequestProblem.MISSING_HUB);
        assertThat(check("POST", "c1", "chat", null, "broadcast", "application/json")).isEqualTo(SignalRRequestProblem.MISSING_CATEGORY);
        assertThat(check("POST", "c1", "chat", "messages", null, "application/json")).isEqualTo(SignalRRequestProblem.MISSING_EVENT);
        assertThat(check("POST", "", "chat", "messages", "broadcast", "application/json")).isEqualTo(SignalRRequestProblem.MISSING_CONNECTION_ID);
        assertThat(check("POST", "c1", "chat", "messages", "", "application/json")).isEqualTo(SignalRRequestProblem.MISSING_EVENT);
        for (SignalRRequestProblem problem : new SignalRRequestProblem[] {
            SignalRRequestProblem.MISSING_CONNECTION_ID, SignalRRequestProblem.MISSING_HUB,
            SignalRRequestProblem.MISSING_CATEGORY, SignalRRequestProblem.MISSING_EVENT }) {
            assertThat(problem.httpStatus()).isEqualTo(400);
            assertThat(problem.isProblem()).isTrue();
        }
        assertThat(SignalRRequestProblem.MISSING_HUB.detail()).isEqualTo("X-ASRS-Hub header missing");
    }

    @Test
    void unknownCategory() {
        assertThat(check("POST", "c1", "chat", "connection", "connected", "application/json")).isEqualTo(SignalRRequestProblem.UNKNOWN_CATEGORY);
        assertThat(check("POST", "c1", "chat", "message", "broadcast", "application/json")).isEqualTo(SignalRRequestProblem.UNKNOWN_CATEGORY);
        assertThat(check("POST", "c1", "chat", " messages", "broadcast", "application/json")).isEqualTo(SignalRRequestProblem.UNKNOWN_CATEGORY);
        assertThat(SignalRRequestProblem.UNKNOWN_CATEGORY.httpStatus()).isEqualTo(400);
    }

    @Test
    void unknownConnectionEvent() {
        assertThat(check("POST", "c1", "chat", "connections", "broadcast", "application/json")).isEqualTo(SignalRRequestProblem.UNKNOWN_CONNECTION_EVENT);
        assertThat(check("POST", "c1", "chat", "connections", "connect", "application/json")).isEqualTo(SignalRRequestProblem.UNKNOWN_CONNECTION_EVENT);
        assertThat(SignalRRequestProblem.UNKNOWN_CONNECTION_EVENT.httpStatus()).isEqualTo(400);
        // Any method name is a valid event of the messages category.
        assertThat(check("POST", "c1", "chat", "messages", "connected", "application/json")).isEqualTo(SignalRRequestProblem.NONE);
    }

    @Test
    void categoryAndEventIgnoreCase() {
        assertThat(check("POST", "c1", "chat", "Connections", "Connected", "application/json")).isEqualTo(SignalRRequestProblem.NONE);
        assertThat(check("POST", "c1", "chat", "MESSAGES", "Broadcast", "application/json")).isEqualTo(SignalRRequestProblem.NONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "application/json", "application/x-msgpack", "APPLICATION/JSON", "Application/X-MsgPack",
        "application/json; charset=utf-8", "application/json;charset=UTF-8", " application/json ", "application/x-msgpack ; q=1" })
    void supportedMediaTypes(String contentType) {
        assertThat(check("POST", "c1", "chat", "messages", "broadcast", contentType)).isEqualTo(SignalRRequestProblem.NONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "text/plain", "application/jsonx", "application/msgpack", "application/json-patch+json", "application/*",
        "application/ json", ";application/json", "multipart/form-data; boundary=application/json" })
    void unsupportedMediaTypes(String contentType) {
        assertThat(check("POST", "c1", "chat", "messages", "broadcast", contentType)).isEqualTo(SignalRRequestProblem.UNSUPPORTED_MEDIA_TYPE);
    }

    @Test
    void missingContentTypeIsUnsupportedEvenForAnEmptyBody() {
        assertThat(check("POST", "c1", "chat", "connections", "connected", null)).isEqualTo(SignalRRequestProblem.UNSUPPORTED_MEDIA_TYPE);
        assertThat(SignalRRequestProblem.UNSUPPORTED_MEDIA_TYPE.httpStatus()).isEqualTo(415);
    }

    @Test
    void precedence() {
        // Everything wrong at once: the method answers first, then each header in table order, then the
        // category, the connection event, and the media type last.
        assertThat(check("GET", null, null, null, null, null)).isEqualTo(SignalRRequestProblem.NOT_POST);
        assertThat(check("POST", null, null, null, null, null)).isEqualTo(SignalRRequestProblem.MISSING_CONNECTION_ID);
        assertThat(check("POST", "c1", null, null, null, null)).isEqualTo(SignalRRequestProblem.MISSING_HUB);
        assertThat(check("POST", "c1", "chat", null, null, null)).isEqualTo(SignalRRequestProblem.MISSING_CATEGORY);
        assertThat(check("POST", "c1", "chat", "other", null, null)).isEqualTo(SignalRRequestProblem.MISSING_EVENT);
        assertThat(check("POST", "c1", "chat", "other", "connected", null)).isEqualTo(SignalRRequestProblem.UNKNOWN_CATEGORY);
        assertThat(check("POST", "c1", "chat", "connections", "other", "text/plain")).isEqualTo(SignalRRequestProblem.UNKNOWN_CONNECTION_EVENT);
        assertThat(check("POST", "c1", "chat", "connections", "connected", "text/plain")).isEqualTo(SignalRRequestProblem.UNSUPPORTED_MEDIA_TYPE);
    }

    @Test
    void acceptsAnyCharSequence() {
        assertThat(SignalRRequestCheck.check(new StringBuilder("POST"), new StringBuilder("c1"), new StringBuilder("chat"),
            new StringBuilder("messages"), new StringBuilder("send"), new StringBuilder("application/json")))
            .isEqualTo(SignalRRequestProblem.NONE);
    }
}
