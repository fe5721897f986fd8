/**
 * The event loop transport: native epoll where it loads, NIO otherwise, or io_uring when asked for
 * ({@code run --transport io_uring}).
 */
package dev.privateupstream.transport;
