/**
 * The configuration in force and how a new one replaces it: {@code gateway.yaml} watched, the endpoint
 * store followed, the admin API's endpoint changes applied, one at a time, as whole snapshot swaps (SPEC §4
 * reload, §7, §10).
 */
package dev.privateupstream.reload;
