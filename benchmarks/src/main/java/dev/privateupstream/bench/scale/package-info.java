/**
 * Drivers of {@code benchmarks/scale.sh} (issue 18, "Scale"): whole reloads of a large endpoints file, a storm
 * of them, and idle client connections held from processes apart, all against a real gateway process.
 */
package dev.privateupstream.bench.scale;
