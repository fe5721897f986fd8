/**
 * The metrics contract of SPEC §8, on Micrometer's Prometheus registry, and the per-endpoint traffic counts the
 * admin page shows (SPEC §7), kept out of Prometheus labels.
 */
package dev.privateupstream.metrics;
