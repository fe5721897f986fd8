package dev.privateupstream.endpoint;


/**
 * The connection state of a shared private endpoint, as the cloud API spells it (SPEC §4).
 */
public enum EndpointStatus {
    PENDING("Pending"),
    APPROVED("Approved"),
    REJECTED("Rejected"),
    DISCONNECTED("Disconnected"),
    TIMEOUT("Timeout");

    private final String wireName;

    EndpointStatus(String wireName) {
        this.wireName = wireName;
    }

    /** The spelling used in files, the admin API and metric labels: {@code Pending}, {@code Approved}, ... */
    public String wireName() {
        return wireName;
    }

    /**
     * Parses a status in any letter case.
     *
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static EndpointStatus parse(String text) {
        for (EndpointStatus s : values()) {
            if (s.wireName.equalsIgnoreCase(text.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown status '" + text
                + "' (expected one of Pending, Approved, Rejected, Disconnected, Timeout)");
    }

    @Override
    public String toString() {
        return wireName;
    }

}
