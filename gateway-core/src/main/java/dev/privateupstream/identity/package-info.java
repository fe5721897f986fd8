/**
 * Verification of the Microsoft Entra ID access token the service sends in {@code Authorization}: the signing
 * keys of a JWKS document and the RS256 token check with its cache of verified tokens (SPEC §13).
 */
package dev.privateupstream.identity;
