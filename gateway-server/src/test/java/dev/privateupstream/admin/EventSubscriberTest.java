package dev.privateupstream.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EventSubscriberTest {
    private static final byte[] EVENT = EndpointEvents.frame("endpoint", "{\"name\":\"a\",\"change\":\"deleted\"}");

    /** A socket whose peer reads nothing: writes are held, never completed, until the channel closes. */
    private static final class StalledSocket extends ChannelOutboundHandlerAdapter {
        final List<Object> held = new ArrayList<>();
        final List<ChannelPromise> promises = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            held.add(msg); // owned here until close
            promises.add(promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
        }

        void deliver() {
            held.forEach(ReferenceCountUtil::release);
            held.clear();
            promises.forEach(ChannelPromise::setSuccess);
            promises.clear();
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            held.forEach(ReferenceCountUtil::release);
            held.clear();
            promises.forEach(p -> p.tryFailure(new IllegalStateException("closed")));
            ctx.close(promise);
        }
    }

    @Test
    void aSubscriberThatKeepsUpGetsEveryEvent() {
        final EmbeddedChannel channel = new EmbeddedChannel();
        final EventSubscriber subscriber = new EventSubscriber(channel, 3, TimeUnit.SECONDS.toNanos(60));
        for (int i = 0; i < 10; i++) {
            subscriber.send(EVENT, 1);
        }
        assertThat(channel.isOpen()).isTrue();
        for (int i = 0; i < 10; i++) {
            final HttpContent chunk = channel.readOutbound();
            assertThat(chunk.content().toString(StandardCharsets.UTF_8)).startsWith("event: endpoint\ndata: ");
            chunk.release();
        }
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aSubscriberTooFarBehindIsClosedNotBufferedWithoutBound() {
        final StalledSocket socket = new StalledSocket();
        final EmbeddedChannel channel = new EmbeddedChannel(socket);
        final EventSubscriber subscriber = new EventSubscriber(channel, 5, TimeUnit.SECONDS.toNanos(60));
        subscriber.send(EVENT, 2);
        subscriber.send(EVENT, 3);
        assertThat(channel.isOpen()).isTrue();
        // Once it has taken what was pending, it may have more.
        socket.deliver();
        subscriber.send(EVENT, 5);
        assertThat(channel.isOpen()).isTrue();
        // Comments count for nothing, but the sixth pending event is one too many.
        subscriber.send(EVENT, 0);
        assertThat(channel.isOpen()).isTrue();
        subscriber.send(EVENT, 1);
        assertThat(channel.isOpen()).isFalse();
        assertThat(socket.held).isEmpty();
        // Closed: nothing more is written.
        subscriber.send(EVENT, 1);
        assertThat(socket.held).isEmpty();
        channel.finishAndReleaseAll();
    }

    @Test
    void aSubscriberUnwritableForTooLongIsClosed() throws Exception {
        final EmbeddedChannel channel = new EmbeddedChannel(new StalledSocket());
        final EventSubscriber subscriber = new EventSubscriber(channel, 1000, TimeUnit.MILLISECONDS.toNanos(1));
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        subscriber.send(EVENT, 0); // seen unwritable from here
        assertThat(channel.isOpen()).isTrue();
        Thread.sleep(5);
        subscriber.send(EVENT, 0);
        assertThat(channel.isOpen()).isFalse();
        channel.finishAndReleaseAll();
    }
}
