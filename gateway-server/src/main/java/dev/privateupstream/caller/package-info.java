/**
 * Who is calling: the TCP peer, or the source a trusted PROXY or forwarded header names (SPEC §4 "Caller resolution").
 */
package dev.privateupstream.caller;
