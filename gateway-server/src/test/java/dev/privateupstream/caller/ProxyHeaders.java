package dev.privateupstream.caller;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Hand-built PROXY protocol headers for tests, byte for byte as proxy-protocol.txt lays them out, so the
 * tests do not trust the decoder they test.
 */
final class ProxyHeaders {
    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    static final int PROXY = 0x21;
    static final int LOCAL = 0x20;
    static final int TCP4 = 0x11;
    static final int UDP4 = 0x12;
    static final int TCP6 = 0x21;
    static final int UNSPEC = 0x00;
    static final int CRC32C_TYPE = 0x03;
    /** Where {@link #v2WithCrc32c} puts the checksum: after the 16 fixed bytes, 12 of IPv4 addresses, 3 of TLV. */
    static final int V4_CRC32C_VALUE = 16 + 12 + 3;

    private ProxyHeaders() {
    }

    /** {@code PROXY TCP4 src dst sport dport\r\n} and so on. */
    static byte[] v1(String line) {
        return (line + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] v1Tcp4(String source) {
        return v1("PROXY TCP4 " + source + " 127.0.0.1 51234 8080");
    }

    /** A v2 {@code PROXY} header over TCP from {@code source} (IPv4 or IPv6) to the matching loopback. */
    static byte[] v2(String source, byte[]... tlvs) {
        final boolean v6 = source.indexOf(':') >= 0;
        return v2(PROXY, v6 ? TCP6 : TCP4, source, v6 ? "::1" : "127.0.0.1", tlvs);
    }

    /** Any v2 header: version/command byte, family/protocol byte, addresses, fixed ports, TLVs. */
    static byte[] v2(int versionCommand, int family, String source, String destination, byte[]... tlvs) {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (source != null) {
            body.writeBytes(address(source));
            body.writeBytes(address(destination));
            body.writeBytes(new byte[] {(byte) 0xc8, 0x22, 0x1f, (byte) 0x90}); // ports 51234, 8080
        }
        for (byte[] tlv : tlvs) {
            body.writeBytes(tlv);
        }
        return v2Raw(versionCommand, family, body.size(), body.toByteArray());
    }

    /** The signature, two bytes, a length that need not match, and the body. */
    static byte[] v2Raw(int versionCommand, int family, int declaredLength, byte[] body) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(V2_SIGNATURE);
        out.write(versionCommand);
        out.write(family);
        out.write(declaredLength >>> 8);
        out.write(declaredLength);
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** A TLV: type, big-endian length, value. */
    static byte[] tlv(int type, byte... value) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(type);
        out.write(value.length >>> 8);
        out.write(value.length);
        out.writeBytes(value);
        return out.toByteArray();
    }

    /** {@code PP2_TYPE_CRC32C} with its value zeroed, as a sender writes it before {@link #sealed}. */
    static byte[] crc32cPlaceholder() {
        return tlv(CRC32C_TYPE, (byte) 0, (byte) 0, (byte) 0, (byte) 0);
    }

    /**
     * A copy of a v2 header whose {@code PP2_TYPE_CRC32C} value starts at {@code valueOffset} (and is still
     * zero), with the checksum filled in as proxy-protocol.txt §2.2.3 asks of a sender: CRC-32C of the whole
     * header, the field zeroed, written in network byte order.
     */
    static byte[] sealed(byte[] header, int valueOffset) {
        final CRC32C crc = new CRC32C();
        crc.update(header);
        final long value = crc.getValue();
        final byte[] out = header.clone();
        out[valueOffset] = (byte) (value >>> 24);
        out[valueOffset + 1] = (byte) (value >>> 16);
        out[valueOffset + 2] = (byte) (value >>> 8);
        out[valueOffset + 3] = (byte) value;
        return out;
    }

    /**
     * A v2 TCP4 header from {@code source} whose first TLV is a correct CRC32C, followed by {@code tlvs}: the
     * checksum's value sits at byte 16 + 12 + 3.
     */
    static byte[] v2WithCrc32c(String source, byte[]... tlvs) {
        final byte[][] all = new byte[tlvs.length + 1][];
        all[0] = crc32cPlaceholder();
        System.arraycopy(tlvs, 0, all, 1, tlvs.length);
        return sealed(v2(source, all), V4_CRC32C_VALUE);
    }

    /** Azure's private link id TLV: type 0xEE, length 5, subtype 0x01, the id little-endian. */
    static byte[] azureLinkId(long linkId) {
        return tlv(0xEE, (byte) 0x01, (byte) linkId, (byte) (linkId >>> 8), (byte) (linkId >>> 16),
                (byte) (linkId >>> 24));
    }

    static byte[] concat(byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] address(String text) {
        try {
            return InetAddress.getByName(text).getAddress(); // literals only: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(text, e);
        }
    }
}
