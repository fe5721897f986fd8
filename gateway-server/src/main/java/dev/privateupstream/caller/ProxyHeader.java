package dev.privateupstream.caller;

import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.net.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyTLV;

/**
 * What a decoded PROXY header says about the caller, by the rules of the PROXY protocol
 * (<a href="https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt">proxy-protocol.txt</a>) and
 * Azure's private link TLV.
 *
 * <ul>
 *   <li>{@code PROXY} over TCP or UDP, IPv4 or IPv6: the source address is the caller. UDP is one of the
 *       families the protocol defines (support is optional for a receiver); its source is as much the
 *       client's address as TCP's, so it is taken the same way.</li>
 *   <li>{@code LOCAL} (health checks), {@code UNKNOWN}/{@code UNSPEC} and {@code AF_UNIX}: no IP source. The
 *       protocol says to use the real connection endpoints, so the caller stays the TCP peer.</li>
 *   <li>TLV {@code 0xEE} with subtype {@code 0x01}: the Azure private endpoint link id, a little-endian
 *       unsigned 32-bit value; the TLV must then be exactly 5 bytes. Other Azure subtypes and other TLVs
 *       are ignored, as the protocol asks of TLVs a receiver does not know. (A {@code PP2_TYPE_CRC32C} TLV
 *       was checked on the raw bytes before decoding, see {@link ProxyV2Checksum}.)</li>
 * </ul>
 *
 * @param source the caller the header names, or {@code null} when the proxy speaks for itself
 * @param linkId the Azure private link id, or {@code null}
 */
record ProxyHeader(IpAddress source, LinkId linkId) {
    static final byte AZURE_TLV_TYPE = (byte) 0xEE;
    static final byte AZURE_LINK_ID_SUBTYPE = 0x01;
    private static final int AZURE_LINK_ID_LENGTH = 5;

    /**
     * The facts of a decoded header.
     *
     * @throws IllegalArgumentException when the header is well-formed for Netty but not for us: a source
     *         that is not a canonical address (such as {@code 010.1.0.4}), a link id TLV of the wrong
     *         length, or two link ids that disagree
     */
    static ProxyHeader of(HAProxyMessage message) {
        if (message.command() == HAProxyCommand.LOCAL) {
            return new ProxyHeader(null, null);
        }
        IpAddress source = null;
        switch (message.proxiedProtocol()) {
            case TCP4:
            case TCP6:
            case UDP4:
            case UDP6:
                source = IpAddress.tryParse(message.sourceAddress());
                if (source == null) {
                    throw new IllegalArgumentException("source address '" + message.sourceAddress()
                            + "' (expected: an IPv4 address without leading zeros, or an IPv6 address)");
                }
                break;
            default:
                break; // UNKNOWN, UNIX_STREAM, UNIX_DGRAM: the real endpoints
        }
        return new ProxyHeader(source, linkId(message));
    }

    private static LinkId linkId(HAProxyMessage message) {
        LinkId found = null;
        for (HAProxyTLV tlv : message.tlvs()) {
            if (tlv.typeByteValue() != AZURE_TLV_TYPE) {
                continue;
            }
            final ByteBuf value = tlv.content();
            final int start = value.readerIndex();
            if (!value.isReadable() || value.getByte(start) != AZURE_LINK_ID_SUBTYPE) {
                continue; // another Azure subtype: not ours to judge
            }
            if (value.readableBytes() != AZURE_LINK_ID_LENGTH) {
                throw new IllegalArgumentException("Azure link id TLV of " + value.readableBytes()
                        + " bytes (expected: 5, subtype 0x01 and a 32-bit link id)");
            }
            final LinkId linkId = LinkId.ofBits(value.getIntLE(start + 1));
            if (found != null && !found.equals(linkId)) {
                throw new IllegalArgumentException("two Azure link ids, " + found + " and " + linkId
                        + " (expected: one)");
            }
            found = linkId;
        }
        return found;
    }
}
