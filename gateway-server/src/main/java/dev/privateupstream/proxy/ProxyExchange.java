package dev.privateupstream.proxy;

import dev.privateupstream.config.UpstreamProtocol;
import dev.privateupstream.metrics.Outcome;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.policy.Decision;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.PolicySnapshot;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AttributeKey;

/**
 * One request and its response on a client connection: what the handlers learned and decided, for the
 * access log and the metrics. Created by {@link ExchangeHandler} per request; touched only on the
 * connection's event loop.
 */
public final class ProxyExchange {
    static final AttributeKey<ProxyExchange> KEY = AttributeKey.valueOf(ProxyExchange.class, "exchange");

    final long startNanos;
    final HttpRequest request;
    /** The configuration this request is judged and routed by, read once when it is decided. */
    PolicySnapshot snapshot;
    /** The caller of this request: the connection's, or a trusted forwarded header's. */
    IpAddress caller;
    Decision decision;
    String upstream = "none";
    Outcome outcome;
    String reason;
    /** Why the gateway refused the request, or {@code null}: the admin page shows it as the last decision. */
    DenyReason denyReason;
    int status;
    long bytesIn;
    long bytesOut;
    /** The gateway answered this request itself (refusal or error). */
    boolean answeredByGateway;
    boolean requestComplete;
    boolean responseStarted;
    boolean responseComplete;
    boolean closeAfterResponse;
    /** The client asked for {@code 100 Continue} before sending its body. */
    boolean expectContinue;
    /** The connection was cut before the response could be delivered (the access log says {@code aborted}). */
    boolean aborted;

    ProxyExchange(HttpRequest request, long startNanos) {
        this.request = request;
        this.startNanos = startNanos;
    }

    /** The exchange in progress on a channel, or {@code null}. */
    public static ProxyExchange current(Channel channel) {
        return channel.attr(KEY).get();
    }

    public HttpRequest request() {
        return request;
    }

    public PolicySnapshot snapshot() {
        return snapshot;
    }

    /** The caller this request is judged as, or {@code null} before it is resolved. */
    public IpAddress caller() {
        return caller;
    }

    /** Sets the caller of this request (a trusted forwarded header names it). */
    public void caller(IpAddress caller) {
        this.caller = caller;
    }

    public Decision decision() {
        return decision;
    }

    /** The protocol of the upstream the call routes to; {@code null} before an allowed decision. */
    public UpstreamProtocol protocol() {
        return decision == null || decision.route() == null ? null : decision.route().protocol();
    }

    /** Records the access decision (and the upstream it routes to, when allowed). */
    public void decision(Decision decision) {
        this.decision = decision;
        if (decision.route() != null) {
            upstream = decision.route().name();
        }
    }

    /** Marks the exchange as answered by the gateway with a refusal. */
    public void denied(DenyReason reason) {
        answeredByGateway = true;
        outcome = Outcome.DENIED;
        denyReason = reason;
        this.reason = reason.wireText();
    }

    /** Marks the exchange as answered by the gateway with an error. */
    public void failed(ProxyError error) {
        answeredByGateway = true;
        outcome = Outcome.ERROR;
        reason = error.wireText();
    }

    /**
     * Marks the exchange as cut off before its response was delivered, for {@code reason}: the access log
     * says {@code aborted}; the status already sent, if any, still counts.
     */
    void aborted(String reason) {
        aborted = true;
        this.reason = reason;
    }

    public String upstream() {
        return upstream;
    }

    public Outcome outcome() {
        return outcome == null ? Outcome.FORWARDED : outcome;
    }

    /** The reason of a gateway answer or of an abort, or {@code null} when forwarded. */
    public String reason() {
        return reason;
    }

    public int status() {
        return status;
    }

    public long bytesIn() {
        return bytesIn;
    }

    public long bytesOut() {
        return bytesOut;
    }

    public long startNanos() {
        return startNanos;
    }

    public boolean responseStarted() {
        return responseStarted;
    }

    public boolean requestComplete() {
        return requestComplete;
    }

    public boolean expectContinue() {
        return expectContinue;
    }

    /** The response will end the connection (the backend's framing needs it, or the client asked). */
    public void closeAfterResponse() {
        closeAfterResponse = true;
    }
}
