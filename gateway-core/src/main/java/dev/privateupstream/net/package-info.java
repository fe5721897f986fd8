/**
 * IP addresses, CIDR prefixes and the longest-prefix-match table the access decision uses (SPEC §4, §5).
 */
package dev.privateupstream.net;
