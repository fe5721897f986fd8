package dev.privateupstream.simulator;

import dev.privateupstream.signalr.SignalRHeaders;
import dev.privateupstream.signalr.SignalRRequestCheck;

/**
 * The SignalR hub protocol a client speaks, which decides the body and {@code Content-Type} of its message
 * invocations. Connection events are always JSON.
 */
public enum HubProtocol {
    JSON(SignalRHeaders.JSON_MEDIA_TYPE),
    MESSAGEPACK(SignalRHeaders.MESSAGEPACK_MEDIA_TYPE);

    private final String mediaType;

    HubProtocol(String mediaType) {
        this.mediaType = mediaType;
    }

    /**
     * The protocol a {@code Content-Type} value names, letter case and parameters ignored, or {@code null} when
     * it names neither.
     */
    public static HubProtocol ofContentType(CharSequence contentType) {
        if (!SignalRRequestCheck.isSupportedMediaType(contentType)) {
            return null;
        }
        final String text = contentType.toString();
        final int semicolon = text.indexOf(';');
        final String mediaType = (semicolon < 0 ? text : text.substring(0, semicolon)).strip();
        return mediaType.equalsIgnoreCase(JSON.mediaType) ? JSON : MESSAGEPACK;
    }

    /** The {@code Content-Type} of a body in this protocol. */
    public String mediaType() {
        return mediaType;
    }
}
