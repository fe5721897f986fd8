/**
 * The event loop transport: native epoll where it loads, NIO otherwise.
 */
package dev.privateupstream.transport;
