package dev.privateupstream.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.caller.ConnectionFacts;
import dev.privateupstream.metrics.GatewayMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code limits.sendTimeout} on an embedded channel whose clock only the test moves: a connection left
 * unwritable (more than the 64 KiB high-water mark waiting, unflushed here as behind a full socket) for the
 * whole timeout is closed, counted, its exchange marked aborted and its pending data released; one that
 * drains in time is not, however often it stalls.
 */
class SendTimeoutHandlerTest {
    private static final long TIMEOUT_MILLIS = 1000;
    /** Over the default high-water mark (64 KiB): writing it without a flush makes the channel unwritable. */
    private static final int OVER_HIGH_WATER = 65 * 1024;

    private final GatewayMetrics metrics = new GatewayMetrics();
    private EmbeddedChannel channel;
    private ProxyExchange exchange;

    @BeforeEach
    void setUp() {
        channel = ProxyTestChannels.from("127.0.0.10",
                new SendTimeoutHandler(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS), metrics));
        channel.freezeTime(); // the timer runs on the test's clock alone
        exchange = ProxyTestChannels.exchange(channel,
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/big"));
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    /** Writes more than the high-water mark and does not flush: the client's socket is full. */
    private ByteBuf stall() {
        final ByteBuf data = Unpooled.buffer(OVER_HIGH_WATER).writeZero(OVER_HIGH_WATER);
        channel.write(data);
        assertThat(channel.isWritable()).as("unwritable past the high-water mark").isFalse();
        return data;
    }

    /** The client takes what waits: the channel is writable again. */
    private void drain() {
        channel.flush();
        assertThat(channel.isWritable()).isTrue();
        for (Object written; (written = channel.readOutbound()) != null; ) {
            ((ByteBuf) written).release();
        }
    }

    private void advance(long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void aConnectionUnwritableForTheWholeTimeoutIsClosedCountedAndAborted() {
        final ByteBuf pending = stall();
        advance(TIMEOUT_MILLIS - 1);
        assertThat(channel.isOpen()).as("open just before the timeout").isTrue();
        assertThat(metrics.sendTimeouts()).isZero();

        advance(1);
        assertThat(channel.isOpen()).as("closed at the timeout").isFalse();
        assertThat(metrics.sendTimeouts()).isEqualTo(1);
        assertThat(pending.refCnt()).as("the unsent response released").isZero();
        assertThat(exchange.reason()).isEqualTo("send-timeout");
        final String line = ExchangeRecorder.line(exchange, ConnectionFacts.of(channel));
        assertThat(line).contains("\"outcome\":\"aborted\"").contains("\"reason\":\"send-timeout\"");
    }

    @Test
    void aClientThatDrainsWithinTheTimeoutIsNeverClosedHoweverOftenItStalls() {
        for (int i = 0; i < 20; i++) {
            stall();
            advance(TIMEOUT_MILLIS - 100); // each stall nearly the whole timeout, 18 s of them in all
            drain();
            advance(50);
        }
        advance(10 * TIMEOUT_MILLIS); // writable for long: nothing to time
        assertThat(channel.isOpen()).isTrue();
        assertThat(metrics.sendTimeouts()).isZero();
        assertThat(exchange.reason()).isNull();
    }

    @Test
    void aStallThatBeginsWhileTheTimerOfAnEarlierOneIsArmedGetsItsWholeTimeout() {
        stall();
        advance(500);
        drain();
        advance(100);
        stall(); // at 600 ms; the timer armed at 0 fires at 1000 ms and must wait on until 1600 ms
        advance(TIMEOUT_MILLIS - 1);
        assertThat(channel.isOpen()).as("open 999 ms into the second stall").isTrue();

        advance(1);
        assertThat(channel.isOpen()).isFalse();
        assertThat(metrics.sendTimeouts()).isEqualTo(1);
    }

    @Test
    void aConnectionClosedWhileStalledCancelsTheTimerAndCountsNothing() {
        final ByteBuf pending = stall();
        final ChannelFuture closed = channel.close();
        assertThat(closed.isSuccess()).isTrue();
        assertThat(pending.refCnt()).isZero();
        advance(10 * TIMEOUT_MILLIS);
        assertThat(metrics.sendTimeouts()).isZero();
        assertThat(exchange.reason()).isNull();
    }

    @Test
    void withoutAnExchangeTheConnectionIsStillClosed() {
        channel.attr(ProxyExchange.KEY).set(null); // a lingering close after an answer of its own, say
        stall();
        advance(TIMEOUT_MILLIS);
        assertThat(channel.isOpen()).isFalse();
        assertThat(metrics.sendTimeouts()).isEqualTo(1);
    }
}
