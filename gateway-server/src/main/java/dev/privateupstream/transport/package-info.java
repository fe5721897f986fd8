/**
 * The event loop transport: io_uring on a recent kernel where it loads, else native epoll, else NIO
 * ({@code run --transport} picks one).
 */
package dev.privateupstream.transport;
