/**
 * The gateway process: starts the proxy listener, drains and stops it (SPEC §3, §9).
 */
package dev.privateupstream;
