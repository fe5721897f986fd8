/** Allocation-free reading of header values, shared by the SignalR and Web PubSub checks. */
package dev.privateupstream.headers;
