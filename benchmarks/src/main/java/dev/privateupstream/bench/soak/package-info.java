/**
 * The soak test's driver and backend: mixed traffic against a real gateway process (benchmarks/soak.sh).
 */
package dev.privateupstream.bench.soak;
