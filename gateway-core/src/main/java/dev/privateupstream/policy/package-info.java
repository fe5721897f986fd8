/**
 * The immutable policy snapshot and the access decision it answers per call (SPEC §5).
 */
package dev.privateupstream.policy;
