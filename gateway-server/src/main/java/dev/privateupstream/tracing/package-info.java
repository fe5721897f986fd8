/** OpenTelemetry traces of proxied calls: a server span per call, a client span per backend call (SPEC §12). */
package dev.privateupstream.tracing;
