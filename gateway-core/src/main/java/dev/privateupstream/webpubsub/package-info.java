/**
 * Azure Web PubSub event-handler calls (SPEC §13): their CloudEvents headers, the shape the gateway checks,
 * the routing category, and the abuse-protection handshake. The {@code ce-signature} follows SignalR's rule.
 */
package dev.privateupstream.webpubsub;
