package dev.privateupstream.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class TransportTest {
    @Test
    void autoIsEpollWhereItLoads() {
        assertThat(Transport.select("auto")).isSameAs(Transport.best());
        assertThat(Transport.best()).isSameAs(Transport.EPOLL.isAvailable() ? Transport.EPOLL : Transport.NIO);
    }

    @Test
    void namesAreTakenInAnyCase() {
        assertThat(Transport.select("nio")).isSameAs(Transport.NIO);
        assertThat(Transport.select("NIO")).isSameAs(Transport.NIO);
        assumeTrue(Transport.IO_URING.isAvailable(), "io_uring does not load here");
        assertThat(Transport.select("io_uring")).isSameAs(Transport.IO_URING);
        assertThat(Transport.IO_URING).hasToString("io_uring");
    }

    @Test
    void anUnknownNameSaysWhichOnesThereAre() {
        assertThatThrownBy(() -> Transport.select("kqueue"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown transport 'kqueue': use one of auto, epoll, io_uring, nio");
    }

    @Test
    void eachTransportIsFoundByItsClientChannel() {
        for (Transport transport : Transport.values()) {
            assertThat(Transport.ofClientChannel(transport.clientChannel())).isSameAs(transport);
        }
    }

    @Test
    void anAvailableTransportHasNoUnavailabilityCause() {
        for (Transport transport : Transport.values()) {
            assertThat(transport.unavailabilityCause() == null).isEqualTo(transport.isAvailable());
        }
    }
}
