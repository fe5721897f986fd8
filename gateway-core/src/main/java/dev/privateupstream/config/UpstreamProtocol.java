package dev.privateupstream.config;

import java.util.Locale;

/**
 * Which service calls an upstream (SPEC §13): SignalR's upstream protocol ({@code X-ASRS-*} headers) or
 * Web PubSub's CloudEvents event handler ({@code ce-*} headers). It picks the headers routing reads, the
 * signature and validation rules, and the {@code identity} settings that apply.
 */
public enum UpstreamProtocol {
    SIGNALR("signalr"),
    WEBPUBSUB("webpubsub");

    private final String configName;

    UpstreamProtocol(String configName) {
        this.configName = configName;
    }

    /** The value of {@code upstreams[].protocol}. */
    public String configName() {
        return configName;
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static UpstreamProtocol parse(String text) {
        for (UpstreamProtocol protocol : values()) {
            if (protocol.configName.equals(text.trim().toLowerCase(Locale.ROOT))) {
                return protocol;
            }
        }
        throw new IllegalArgumentException("'" + text + "' (expected: signalr or webpubsub)");
    }
}
