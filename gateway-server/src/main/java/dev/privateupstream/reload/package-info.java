/**
 * The configuration in force and how a new one replaces it: both files watched, the admin API's endpoint
 * changes written and applied, one at a time, as whole snapshot swaps (SPEC §4 reload, §7).
 */
package dev.privateupstream.reload;
