/**
 * JMH benchmarks of the hot path: prefix lookups, the access decision and the whole client pipeline
 * (issue 6; how to run them and their results are in {@code benchmarks/README.md}).
 */
package dev.privateupstream.bench;
