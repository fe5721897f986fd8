package dev.privateupstream.caller;

import static dev.privateupstream.caller.ProxyHeaders.PROXY;
import static dev.privateupstream.caller.ProxyHeaders.V4_CRC32C_VALUE;
import static dev.privateupstream.caller.ProxyHeaders.azureLinkId;
import static dev.privateupstream.caller.ProxyHeaders.concat;
import static dev.privateupstream.caller.ProxyHeaders.crc32cPlaceholder;
import static dev.privateupstream.caller.ProxyHeaders.sealed;
import static dev.privateupstream.caller.ProxyHeaders.tlv;
import static dev.privateupstream.caller.ProxyHeaders.v2;
import static dev.privateupstream.caller.ProxyHeaders.v2Raw;
import static dev.privateupstream.caller.ProxyHeaders.v2WithCrc32c;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Function;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** {@link ProxyV2Checksum} on headers built byte by byte, in every kind of buffer a read can produce. */
class ProxyV2ChecksumTest {
    /** A heap buffer, a pooled direct one, and a composite of two parts: the three ways the bytes are read. */
    private static final Function<byte[], ByteBuf> HEAP = Unpooled::copiedBuffer;
    private static final Function<byte[], ByteBuf> DIRECT = bytes ->
            PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes);
    private static final Function<byte[], ByteBuf> COMPOSITE = bytes -> {
        final CompositeByteBuf composite = Unpooled.compositeBuffer();
        final int half = bytes.length / 2;
        composite.addComponent(true, Unpooled.copiedBuffer(bytes, 0, half));
        composite.addComponent(true, PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(bytes, half,
                bytes.length - half));
        return composite;
    };

    @Test
    void javaCrc32cIsCastagnoli() {
        // The CRC-32C check value (RFC 3720 / RFC 4960 polynomial 0x1EDC6F41), not CRC-32's 0xCBF43926.
        final CRC32C crc = new CRC32C();
        crc.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertThat(crc.getValue()).isEqualTo(0xE3069283L);
    }

    @Test
    void matchingAndWrongChecksumsAreToldApartInEveryBufferKindAndAtAnyOffset() {
        final byte[] good = v2WithCrc32c("10.1.0.4", azureLinkId(7));
        final byte[] bad = good.clone();
        bad[20] ^= 0x10;
        final byte[] prefix = "xyz".getBytes(StandardCharsets.US_ASCII);
        for (Function<byte[], ByteBuf> kind : Arrays.asList(HEAP, DIRECT, COMPOSITE)) {
            assertThat(problem(kind, good, new byte[0])).isNull();
            assertThat(problem(kind, concat(prefix, good), prefix)).isNull();
            assertThat(problem(kind, bad, new byte[0])).startsWith("CRC32C 0x");
            assertThat(problem(kind, concat(prefix, bad), prefix)).startsWith("CRC32C 0x");
        }
    }

    /** The problem with the header after {@code skip}, read from a buffer of that kind; leaves it as it was. */
    private static String problem(Function<byte[], ByteBuf> kind, byte[] bytes, byte[] skip) {
        final ByteBuf buf = kind.apply(concat(bytes, "GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)));
        try {
            buf.skipBytes(skip.length);
            final ByteBuf before = buf.copy();
            try {
                final String problem = ProxyV2Checksum.problem(buf, buf.readerIndex());
                assertThat(buf.readerIndex()).isEqualTo(skip.length);
                assertThat(buf).as("reads only").isEqualTo(before);
                return problem;
            } finally {
                before.release();
            }
        } finally {
            buf.release();
        }
    }

    private static String problem(byte[] header) {
        return problem(HEAP, header, new byte[0]);
    }

    @Test
    void theMessageNamesWhatWasSentAndWhatWasComputed() {
        final byte[] header = v2WithCrc32c("10.1.0.4");
        long sent = 0;
        for (int i = 0; i < 4; i++) {
            sent = sent << 8 | header[V4_CRC32C_VALUE + i] & 0xFF;
        }
        header[V4_CRC32C_VALUE + 3] ^= 1;
        assertThat(problem(header)).isEqualTo(String.format("CRC32C 0x%08x (computed: 0x%08x)", sent ^ 1, sent));
    }

    @Test
    void aChecksumAfterUnixAddressesIsFoundToo() {
        final byte[] body = concat(new byte[216], crc32cPlaceholder());
        final byte[] header = sealed(v2Raw(PROXY, 0x31, body.length, body), 16 + 216 + 3);
        assertThat(problem(header)).isNull();
        header[30] = 'x';
        assertThat(problem(header)).startsWith("CRC32C 0x");
    }

    @Test
    void headersItCannotJudgeAreLeftToTheDecoder() {
        // No checksum at all.
        assertThat(problem(v2("10.1.0.4", azureLinkId(7)))).isNull();
        // An unknown family: where the TLVs start is unknown, and Netty's decoder refuses it.
        final byte[] body = concat(new byte[12], tlv(0x03, (byte) 1, (byte) 2, (byte) 3, (byte) 4));
        assertThat(problem(v2Raw(PROXY, 0x41, body.length, body))).isNull();
        // A TLV running past the header's end before any checksum: malformed, Netty's decoder refuses it.
        final byte[] overrun = concat(new byte[12], new byte[] {0x04, 0x00, 0x40, 0x00},
                tlv(0x03, (byte) 1, (byte) 2, (byte) 3, (byte) 4));
        assertThat(problem(v2Raw(PROXY, 0x11, overrun.length, overrun))).isNull();
    }

    @Test
    void aChecksumOfTheWrongSizeOrTwoOfThemAreProblems() {
        assertThat(problem(v2("10.1.0.4", tlv(0x03, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0))))
                .isEqualTo("CRC32C TLV of 5 bytes (expected: 4)");
        assertThat(problem(sealed(v2("10.1.0.4", crc32cPlaceholder(), crc32cPlaceholder()), V4_CRC32C_VALUE)))
                .isEqualTo("two CRC32C TLVs (expected: one)");
    }
}
