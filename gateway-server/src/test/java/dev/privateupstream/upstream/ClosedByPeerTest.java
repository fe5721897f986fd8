package dev.privateupstream.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateupstream.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The pool's look at the TCP state of an idle backend connection, on real loopback sockets and each
 * native transport: established is lendable; once the backend has closed its end, it is not, whether or
 * not the event loop has noticed yet.
 */
class ClosedByPeerTest {
    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"EPOLL", "IO_URING"})
    void seesTheBackendsCloseOnEveryNativeTransport(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), () -> transport + " does not load here");
        final EventLoopGroup group = transport.newGroup(1, "closed-by-peer-test");
        try (ServerSocket backend = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final Channel channel = new Bootstrap().group(group).channel(transport.clientChannel())
                    .option(ChannelOption.AUTO_READ, false) // as in the pool: no read pending to notice the FIN
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(backend.getLocalSocketAddress()).sync().channel();
            final Socket accepted = backend.accept();
            assertThat(check(channel)).as("established").isFalse();
            accepted.close();
            boolean closed = false;
            for (int i = 0; i < 100 && !closed; i++) {
                Thread.sleep(20); // until the FIN has reached the gateway side's kernel
                closed = check(channel);
            }
            assertThat(closed).as("after the backend closed").isTrue();
            channel.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    private static boolean check(Channel channel) throws Exception {
        return channel.eventLoop().submit(() -> UpstreamPool.closedByPeer(channel)).get();
    }
}
