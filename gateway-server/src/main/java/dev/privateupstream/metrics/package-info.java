/**
 * The metrics contract of SPEC §8, on Micrometer's Prometheus registry.
 */
package dev.privateupstream.metrics;
