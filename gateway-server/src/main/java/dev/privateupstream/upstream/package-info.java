/**
 * Backend connections: per-event-loop keep-alive pools and the relay of requests and responses (SPEC §6).
 */
package dev.privateupstream.upstream;
