package dev.privateupstream.webpubsub;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The shape of a Web PubSub event-handler call (SPEC §13) and its routing category. */
class WebPubSubEventCheckTest {

    private static WebPubSubEventProblem check(String method, String type, String contentType) {
        return WebPubSubEventCheck.check(method, "1.0", type, "id-1", "chat", "conn-1", "message", contentType);
    }

    @Test
    void wellFormedEventsPass() {
        assertThat(check("POST", "azure.webpubsub.sys.connect", "application/json; charset=utf-8"))
                .isEqualTo(WebPubSubEventProblem.NONE);
        assertThat(check("POST", "azure.webpubsub.user.message", "text/plain")).isEqualTo(WebPubSubEventProblem.NONE);
        assertThat(check("POST", "azure.webpubsub.user.message", "Application/Octet-Stream"))
                .isEqualTo(WebPubSubEventProblem.NONE);
        assertThat(check("POST", "azure.webpubsub.user.update", " application/json ;charset=utf-8"))
                .isEqualTo(WebPubSubEventProblem.NONE);
    }

    @Test
    void eachProblemInOrderWithItsStatus() {
        assertThat(check("GET", "azure.webpubsub.sys.connect", "application/json").httpStatus()).isEqualTo(405);
        assertThat(check("post", "azure.webpubsub.sys.connect", "application/json"))
                .isEqualTo(WebPubSubEventProblem.NOT_POST);
        assertThat(WebPubSubEventCheck.check("POST", "0.3", "azure.webpubsub.sys.connect", "i", "h", "c", "e",
                "application/json")).isEqualTo(WebPubSubEventProblem.WRONG_SPEC_VERSION);
        assertThat(WebPubSubEventCheck.check("POST", null, "azure.webpubsub.sys.connect", "i", "h", "c", "e",
                "application/json")).isEqualTo(WebPubSubEventProblem.WRONG_SPEC_VERSION);
        assertThat(check("POST", "com.example.thing", "application/json"))
                .isEqualTo(WebPubSubEventProblem.NOT_WEBPUBSUB_TYPE);
        assertThat(check("POST", "Azure.WebPubSub.sys.connect", "application/json"))
                .isEqualTo(WebPubSubEventProblem.NOT_WEBPUBSUB_TYPE);
        assertThat(WebPubSubEventCheck.check("POST", "1.0", "azure.webpubsub.user.m", "", "h", "c", "e",
                "text/plain")).isEqualTo(WebPubSubEventProblem.MISSING_ID);
        assertThat(WebPubSubEventCheck.check("POST", "1.0", "azure.webpubsub.user.m", "i", null, "c", "e",
                "text/plain")).isEqualTo(WebPubSubEventProblem.MISSING_HUB);
        assertThat(WebPubSubEventCheck.check("POST", "1.0", "azure.webpubsub.user.m", "i", "h", null, "e",
                "text/plain")).isEqualTo(WebPubSubEventProblem.MISSING_CONNECTION_ID);
        assertThat(WebPubSubEventCheck.check("POST", "1.0", "azure.webpubsub.user.m", "i", "h", "c", "",
                "text/plain")).isEqualTo(WebPubSubEventProblem.MISSING_EVENT_NAME);
        assertThat(check("POST", "azure.webpubsub.sys.connected", "text/plain"))
                .isEqualTo(WebPubSubEventProblem.SYSTEM_EVENT_NOT_JSON);
        assertThat(check("POST", "azure.webpubsub.sys.connected", null).httpStatus()).isEqualTo(415);
        assertThat(check("POST", "azure.webpubsub.user.message", "application/xml"))
                .isEqualTo(WebPubSubEventProblem.USER_EVENT_MEDIA_TYPE);
        assertThat(check("POST", "azure.webpubsub.user.message", "text/plainx").httpStatus()).isEqualTo(415);
    }

    @Test
    void categoryFollowsTheType() {
        assertThat(WebPubSubEventCheck.category("azure.webpubsub.sys.connect")).isEqualTo("system");
        assertThat(WebPubSubEventCheck.category("azure.webpubsub.user.message")).isEqualTo("user");
        assertThat(WebPubSubEventCheck.category("azure.webpubsub.gp.joined")).isEqualTo("user");
        assertThat(WebPubSubEventCheck.category("azure.webpubsub.sy")).isEqualTo("user");
        assertThat(WebPubSubEventCheck.category("com.example")).isNull();
        assertThat(WebPubSubEventCheck.category(null)).isNull();
    }
}
