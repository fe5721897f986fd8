package dev.privateupstream.proxy;

import dev.privateupstream.signalr.SignalRHeaders;
import io.netty.util.AsciiString;

/**
 * The SignalR header names of {@link SignalRHeaders} as Netty {@link AsciiString}s: a header lookup by an
 * {@code AsciiString} reuses its cached hash, where a {@code String} name is hashed again on every call.
 */
final class SignalRHeaderNames {
    static final AsciiString CONNECTION_ID = AsciiString.cached(SignalRHeaders.CONNECTION_ID);
    static final AsciiString HUB = AsciiString.cached(SignalRHeaders.HUB);
    static final AsciiString CATEGORY = AsciiString.cached(SignalRHeaders.CATEGORY);
    static final AsciiString EVENT = AsciiString.cached(SignalRHeaders.EVENT);
    static final AsciiString SIGNATURE = AsciiString.cached(SignalRHeaders.SIGNATURE);
    static final AsciiString USER_ID = AsciiString.cached(SignalRHeaders.USER_ID);

    private SignalRHeaderNames() {
    }
}
