/**
 * Configuration records, YAML loading with {@code ${ENV}} substitution, and validation with located errors
 * (SPEC §4).
 */
package dev.privateupstream.config;
