/**
 * Shared private endpoints and their approval states (SPEC §4, §7).
 */
package dev.privateupstream.endpoint;
