package dev.privateupstream.metrics;

import java.util.Locale;

/**
 * The {@code outcome} label of {@code gateway_requests_total} (SPEC §8).
 */
public enum Outcome {
    /** The backend answered. */
    FORWARDED,
    /** Refused by SPEC §5 or §6a. */
    DENIED,
    /** Any other answer the gateway made itself. */
    ERROR;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }
}
