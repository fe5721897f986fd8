package dev.privateupstream.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class TransportTest {
    @Test
    void autoPrefersIoUringThenEpollThenNio() {
        assertThat(Transport.select("auto")).isSameAs(Transport.best());
        final boolean recentKernel = Transport.kernelAtLeast(System.getProperty("os.version"), 6, 1);
        final Transport expected = recentKernel && Transport.IO_URING.isAvailable() ? Transport.IO_URING
                : Transport.EPOLL.isAvailable() ? Transport.EPOLL : Transport.NIO;
        assertThat(Transport.best()).isSameAs(expected);
    }

    @Test
    void anOlderKernelGetsEpollAndTheLogSaysWhy() {
        assumeTrue(Transport.EPOLL.isAvailable(), "epoll does not load here");
        assertThat(Transport.best("5.15.0-1064-azure")).isSameAs(Transport.EPOLL);
        assertThat(Transport.passedOver(Transport.EPOLL, "5.15.0-1064-azure")).containsExactly(
                "io_uring passed over: kernel 5.15.0-1064-azure is older than 6.1 (--transport io_uring still takes it)");
    }

    @Test
    void aRecentKernelGetsIoUringWhereItLoads() {
        assumeTrue(Transport.IO_URING.isAvailable(), "io_uring does not load here");
        assertThat(Transport.best("6.1.0-28-amd64")).isSameAs(Transport.IO_URING);
        assertThat(Transport.passedOver(Transport.IO_URING, "6.1.0-28-amd64")).isEmpty();
        assertThat(Transport.passedOver(Transport.EPOLL, "6.1.0-28-amd64"))
                .as("epoll asked for by name: auto passed over nothing").isEmpty();
    }

    @Test
    void kernelReleasesAreComparedByMajorAndMinor() {
        assertThat(Transport.kernelAtLeast("6.18.44-fc-v669", 6, 1)).isTrue();
        assertThat(Transport.kernelAtLeast("6.1.0-28-amd64", 6, 1)).isTrue();
        assertThat(Transport.kernelAtLeast("6.10", 6, 1)).isTrue();
        assertThat(Transport.kernelAtLeast("7.0.1", 6, 1)).isTrue();
        assertThat(Transport.kernelAtLeast("6.0.19", 6, 1)).isFalse();
        assertThat(Transport.kernelAtLeast("5.15.0-1064-azure", 6, 1)).isFalse();
        assertThat(Transport.kernelAtLeast("5.99", 6, 1)).isFalse();
    }

    @Test
    void anUnreadableKernelReleaseIsNotRecentEnough() {
        for (String release : new String[] {"", "6", "6.", ".1", "six.one", "6.x", "99999999999.1", "-6.1"}) {
            assertThat(Transport.kernelAtLeast(release, 6, 1)).as(release).isFalse();
        }
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
