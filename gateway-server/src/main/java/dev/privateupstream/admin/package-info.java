/**
 * The admin server: the shared private endpoints REST API, the admin web page, Prometheus metrics and
 * health checks, on its own port and event loop, optionally over TLS with client certificates for the API
 * (SPEC §7, §8, §9, §12).
 */
package dev.privateupstream.admin;
