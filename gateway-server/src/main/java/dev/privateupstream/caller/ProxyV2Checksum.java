package dev.privateupstream.caller;

import io.netty.buffer.ByteBuf;
import java.util.zip.CRC32C;

/**
 * The {@code PP2_TYPE_CRC32C} TLV (type {@code 0x03}) of a PROXY v2 header, as
 * <a href="https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt">proxy-protocol.txt</a> §2.2.3 defines
 * it: a 4-byte value holding the CRC-32C (Castagnoli, RFC 4960 Appendix B) of the whole header, from the
 * signature to the end of the last TLV, computed with those 4 bytes set to zero. The value is in network
 * byte order, as HAProxy writes and reads it. A receiver that supports the checksum must treat a header
 * whose checksum does not match as invalid.
 *
 * <p>Netty's {@code HAProxyMessageDecoder} neither checks it nor keeps the header's bytes (its
 * {@code HAProxyTLV} type list has no CRC32C), so the check runs on the bytes as received, before the hand
 * over to that decoder. It reads them in place: no copy, one {@link CRC32C} only when the TLV is there.
 *
 * <p>It checks the TLVs where the address family says they start (after 0, 12, 36 or 216 address bytes for
 * {@code UNSPEC}, {@code INET}, {@code INET6}, {@code UNIX}), whatever the command: HAProxy seals its
 * {@code LOCAL} health checks too. What it cannot place (an unknown family, addresses longer than the
 * header, a TLV running past the end before any checksum) it leaves to Netty's decoder, which refuses a
 * {@code PROXY} header so malformed and ignores the TLVs of a {@code LOCAL} one.
 */
final class ProxyV2Checksum {
    static final int TYPE = 0x03;
    /** Signature, version and command, family, and the two-byte length. */
    private static final int FIXED_BYTES = 16;
    private static final int VALUE_BYTES = 4;
    /** Type and two-byte length. */
    private static final int TLV_HEADER_BYTES = 3;
    private static final byte[] ZERO_VALUE = new byte[VALUE_BYTES];

    private ProxyV2Checksum() {
    }

    /**
     * What is wrong with the checksum of the v2 header at {@code start}, or {@code null} when it has none or
     * it matches. The header must be readable whole (16 bytes and its declared length); nothing is
     * consumed or changed.
     *
     * @return {@code null}, or for the debug log: a checksum that does not match, one of the wrong size, or
     *         two of them (which of the two would cover the other is not defined, so neither is believed)
     */
    static String problem(ByteBuf buf, int start) {
        final int end = start + FIXED_BYTES + buf.getUnsignedShort(start + 14);
        final int addresses = addressBytes(buf.getUnsignedByte(start + 13) >>> 4);
        if (addresses < 0 || start + FIXED_BYTES + addresses > end) {
            return null;
        }
        int valueAt = -1;
        int at = start + FIXED_BYTES + addresses;
        while (at + TLV_HEADER_BYTES <= end) {
            final int type = buf.getUnsignedByte(at);
            final int length = buf.getUnsignedShort(at + 1);
            final int value = at + TLV_HEADER_BYTES;
            if (value + length > end) {
                break;
            }
            if (type == TYPE) {
                if (length != VALUE_BYTES) {
                    return "CRC32C TLV of " + length + " bytes (expected: " + VALUE_BYTES + ')';
                }
                if (valueAt >= 0) {
                    return "two CRC32C TLVs (expected: one)";
                }
                valueAt = value;
            }
            at = value + length;
        }
        if (valueAt < 0) {
            return null;
        }
        final CRC32C crc = new CRC32C();
        update(crc, buf, start, valueAt - start);
        crc.update(ZERO_VALUE);
        update(crc, buf, valueAt + VALUE_BYTES, end - valueAt - VALUE_BYTES);
        final long sent = buf.getUnsignedInt(valueAt);
        final long computed = crc.getValue();
        return sent == computed ? null : String.format("CRC32C 0x%08x (computed: 0x%08x)", sent, computed);
    }

    /** The address block's size for a family (the high nibble of byte 14), or {@code -1} for an unknown one. */
    private static int addressBytes(int family) {
        switch (family) {
            case 0x0:
                return 0; // UNSPEC
            case 0x1:
                return 12; // INET: two 4-byte addresses, two ports
            case 0x2:
                return 36; // INET6: two 16-byte addresses, two ports
            case 0x3:
                return 216; // UNIX: two 108-byte paths
            default:
                return -1;
        }
    }

    /**
     * Feeds {@code length} bytes at {@code index} to the checksum without copying them: the backing array of a
     * heap buffer, the internal NIO view of a direct one. A composite (a first read that arrived in pieces)
     * is fed byte by byte; it holds at most a few kilobytes here.
     */
    private static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        if (buf.hasArray()) {
            crc.update(buf.array(), buf.arrayOffset() + index, length);
        } else if (buf.nioBufferCount() == 1) {
            crc.update(buf.internalNioBuffer(index, length));
        } else {
            for (int i = index; i < index + length; i++) {
                crc.update(buf.getByte(i));
            }
        }
    }
}
