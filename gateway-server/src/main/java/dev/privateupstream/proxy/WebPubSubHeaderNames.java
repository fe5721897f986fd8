package dev.privateupstream.proxy;

import dev.privateupstream.webpubsub.WebPubSubHeaders;
import io.netty.util.AsciiString;

/** The Web PubSub header names of {@link WebPubSubHeaders} as cached {@link AsciiString}s, for fast lookups. */
final class WebPubSubHeaderNames {
    static final AsciiString SPEC_VERSION = AsciiString.cached(WebPubSubHeaders.SPEC_VERSION);
    static final AsciiString TYPE = AsciiString.cached(WebPubSubHeaders.TYPE);
    static final AsciiString ID = AsciiString.cached(WebPubSubHeaders.ID);
    static final AsciiString HUB = AsciiString.cached(WebPubSubHeaders.HUB);
    static final AsciiString CONNECTION_ID = AsciiString.cached(WebPubSubHeaders.CONNECTION_ID);
    static final AsciiString EVENT_NAME = AsciiString.cached(WebPubSubHeaders.EVENT_NAME);
    static final AsciiString USER_ID = AsciiString.cached(WebPubSubHeaders.USER_ID);
    static final AsciiString SIGNATURE = AsciiString.cached(WebPubSubHeaders.SIGNATURE);
    static final AsciiString REQUEST_ORIGIN = AsciiString.cached(WebPubSubHeaders.REQUEST_ORIGIN);

    private WebPubSubHeaderNames() {
    }
}
