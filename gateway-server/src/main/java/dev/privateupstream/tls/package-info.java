/**
 * TLS: termination on the proxy port with certificates reloaded when their files change, and verified
 * TLS to {@code https} upstreams whose CA files are reloaded the same way (SPEC §4 {@code listen.tls},
 * {@code upstreams[].url}, {@code upstreams[].caFile}).
 */
package dev.privateupstream.tls;
