/**
 * HTTP/1.1 message heads read straight from their bytes for the common case, into Netty's message types,
 * with everything unusual left to Netty's decoders.
 */
package dev.privateupstream.http;
