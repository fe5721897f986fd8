package dev.privateupstream.caller;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

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
