/**
 * TLS: termination on the proxy port with certificates reloaded when their files change, and verified
 * TLS to {@code https} upstreams (SPEC §4 {@code listen.tls}, {@code upstreams[].url}).
 */
package dev.privateupstream.tls;
