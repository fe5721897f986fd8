/**
 * Who is calling: the TCP peer, or the source a trusted PROXY v1/v2 header
 * (<a href="https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt">proxy-protocol.txt</a>, with
 * Azure's private link id TLV) or a trusted {@code X-Forwarded-For} names, and {@code rejectAtConnect}
 * (SPEC §4 "Caller resolution", §5 link ids).
 */
package dev.privateupstream.caller;
