package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.net.IpAddress;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

class HeaderRewriteHandlerTest {

    private static HttpRequest request(HttpVersion version) {
        final HttpRequest request = new DefaultHttpRequest(version, HttpMethod.POST, "/x");
        request.headers()
                .add("Host", "func.example")
                .add("X-Forwarded-For", "10.9.9.9")
                .add("X-Forwarded-For", "203.0.113.1")
                .add("Forwarded", "for=10.9.9.9")
                .add("X-Real-IP", "10.9.9.9")
                .add("X-Client-IP", "10.9.9.9")
                .add("True-Client-IP", "10.9.9.9")
                .add("X-Forwarded-Host", "evil.example")
                .add("X-Forwarded-Proto", "https")
                .add("Connection", "keep-alive, X-Hop, Content-Length, Host")
                .add("X-Hop", "1")
                .add("Keep-Alive", "timeout=5")
                .add("Transfer-Encoding", "chunked")
                .add("Expect", "100-continue")
                .add("X-ASRS-Hub", "chat");
        return request;
    }

    @Test
    void requestGetsExactlyOneForwardedForAndLosesHopByHopAndSpoofableHeaders() {
        final EmbeddedChannel channel = ProxyTestChannels.from("127.0.0.10", new HeaderRewriteHandler());
        final HttpRequest request = request(HttpVersion.HTTP_1_1);
        final ProxyExchange exchange = ProxyTestChannels.exchange(channel, request);
        exchange.caller(IpAddress.parse("::ffff:10.1.0.4"));
        channel.writeInbound(request);
        final HttpRequest out = channel.readInbound();
        final HttpHeaders h = out.headers();
        assertThat(h.getAll("X-Forwarded-For")).containsExactly("10.1.0.4");
        assertThat(h.get("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(h.get("X-Forwarded-Host")).isEqualTo("func.example");
        assertThat(h.get("Host")).isEqualTo("func.example");
        assertThat(h.get("Transfer-Encoding")).isEqualTo("chunked"); // re-framed, never dropped
        assertThat(h.get("X-ASRS-Hub")).isEqualTo("chat");
        for (String gone : new String[] {"Forwarded", "X-Real-IP", "X-Client-IP", "True-Client-IP", "Connection",
                "X-Hop", "Keep-Alive", "Expect"}) {
            assertThat(h.contains(gone)).as(gone).isFalse();
        }
        assertThat(exchange.expectContinue()).isTrue();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void secureConnectionsAreForwardedAsHttps() {
        final EmbeddedChannel channel = ProxyTestChannels.from("127.0.0.10", new HeaderRewriteHandler());
        dev.privateupstream.caller.ConnectionFacts.of(channel).secure(true);
        final HttpRequest request = request(HttpVersion.HTTP_1_1);
        ProxyTestChannels.exchange(channel, request).caller(IpAddress.parse("fd00::0:4"));
        channel.writeInbound(request);
        final HttpRequest out = channel.readInbound();
        assertThat(out.headers().get("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(out.headers().get("X-Forwarded-For")).isEqualTo("fd00::4");
    }

    @Test
    void responseLosesHopByHopAndIsRechunkedWithoutLength() {
        final EmbeddedChannel channel = ProxyTestChannels.from("127.0.0.10", new HeaderRewriteHandler());
        ProxyTestChannels.exchange(channel, request(HttpVersion.HTTP_1_1));
        final HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().add("Connection", "X-Backend-Hop").add("X-Backend-Hop", "1").add("Keep-Alive", "x")
                .add("Transfer-Encoding", "gzip, chunked").add("X-Kept", "yes");
        channel.writeOutbound(response);
        final HttpResponse out = channel.readOutbound();
        assertThat(out.headers().get("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(out.headers().contains("X-Backend-Hop")).isFalse();
        assertThat(out.headers().contains("Keep-Alive")).isFalse();
        assertThat(out.headers().get("X-Kept")).isEqualTo("yes");
    }

    @Test
    void http10ClientsGetACloseDelimitedBodyInsteadOfChunks() {
        final EmbeddedChannel channel = ProxyTestChannels.from("127.0.0.10", new HeaderRewriteHandler());
        final ProxyExchange exchange = ProxyTestChannels.exchange(channel, request(HttpVersion.HTTP_1_0));
        final HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        channel.writeOutbound(response);
        final HttpResponse out = channel.readOutbound();
        assertThat(out.headers().contains("Transfer-Encoding")).isFalse();
        assertThat(exchange.closeAfterResponse).isTrue();
    }

    @Test
    void responsesWithLengthOrWithoutBodyAreLeftAlone() {
        final EmbeddedChannel channel = ProxyTestChannels.from("127.0.0.10", new HeaderRewriteHandler());
        ProxyTestChannels.exchange(channel, request(HttpVersion.HTTP_1_1));
        final HttpResponse sized = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        sized.headers().set("Content-Length", "12");
        final HttpResponse empty = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        channel.writeOutbound(sized, empty);
        assertThat(((HttpResponse) channel.readOutbound()).headers().contains("Transfer-Encoding")).isFalse();
        assertThat(((HttpResponse) channel.readOutbound()).headers().contains("Transfer-Encoding")).isFalse();
    }
}
