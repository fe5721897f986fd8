/**
 * TLS: termination on the proxy port and on the admin port with certificates (and the admin port's client
 * CA) reloaded when their files change, and verified TLS to {@code https} upstreams whose CA files are
 * reloaded the same way (SPEC §4 {@code listen.tls}, {@code upstreams[].url}, {@code upstreams[].caFile};
 * SPEC §12 {@code admin.tls}).
 */
package dev.privateupstream.tls;
