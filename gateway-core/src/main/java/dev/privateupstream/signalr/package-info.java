/**
 * SignalR Service upstream calls: header names, request validation and {@code X-ASRS-Signature} checks (SPEC §6a).
 */
package dev.privateupstream.signalr;
