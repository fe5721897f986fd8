/**
 * Both ends of the SignalR Service upstream protocol for the {@code demo} command, the integration tests and the
 * load benchmark: calls as the service sends them and a backend that answers as Azure Functions does (SPEC §3, §6a).
 */
package dev.privateupstream.simulator;
