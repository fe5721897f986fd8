/**
 * The command line: {@code run}, {@code validate}, {@code explain}, {@code send}, {@code demo} (SPEC §3).
 */
package dev.privateupstream.cli;
