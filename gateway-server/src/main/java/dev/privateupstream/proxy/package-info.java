/**
 * The proxy pipeline: framing and limits, the access decision, the header rewrite (SPEC §5, §6).
 */
package dev.privateupstream.proxy;
