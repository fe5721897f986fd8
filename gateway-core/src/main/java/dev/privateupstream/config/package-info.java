/**
 * Configuration records, YAML loading with {@code ${ENV}} substitution, validation with located errors, and
 * the atomic writer of the endpoints file (SPEC §4, §7).
 */
package dev.privateupstream.config;
