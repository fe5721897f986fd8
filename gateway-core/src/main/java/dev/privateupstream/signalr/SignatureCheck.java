package dev.privateupstream.signalr;

/**
 * The outcome of checking an {@code X-ASRS-Signature} header (SPEC §5, §6a).
 */
public enum SignatureCheck {
    /** An entry of the header matches the connection id under one of the configured access keys. */
    VALID,
    /** The header is absent, empty or blank: reason {@code missing-signature}. */
    MISSING,
    /** No entry matches, or the connection id is absent: reason {@code invalid-signature}. */
    INVALID
}
