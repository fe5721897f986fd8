/**
 * The configuration in force, and how a new one replaces it (SPEC §4 reload, §7).
 */
package dev.privateupstream.reload;
