package dev.privateupstream.caller;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.ListenConfig;
import dev.privateupstream.config.ListenConfig.ForwardedHeader;
import dev.privateupstream.config.ListenConfig.ProxyProtocolMode;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import dev.privateupstream.net.PrefixTable;
import dev.privateupstream.reload.PolicyRef;
import io.netty.channel.ChannelHandler;
import java.time.Duration;

/**
 * The {@code listen.*} caller-resolution settings of one configuration, compiled once: the trusted proxies
 * as a prefix table, and the handlers of SPEC §4 "Caller resolution" that need no per-connection state,
 * built once and shared by every connection accepted under these settings.
 *
 * <p>Each connection reads the policy once when it is accepted (through {@link CallerPolicyRef}), like the
 * limits: a reload of {@code listen.*} applies to the next connection, while the access decision itself
 * is still taken per request against the snapshot in force.
 */
public final class CallerPolicy {
    private final ListenConfig listen;
    private final PrefixTable<Boolean> trustedProxies;
    private final GatewayMetrics metrics;
    private final RejectAtConnectHandler rejectAtConnect;
    private final ForwardedForResolver forwardedFor;

    private CallerPolicy(ListenConfig listen, PolicyRef policy, GatewayMetrics metrics) {
        this.listen = listen;
        this.metrics = metrics;
        final PrefixTable.Builder<Boolean> trusted = PrefixTable.builder();
        for (IpPrefix prefix : listen.trustedProxies()) {
            trusted.add(prefix, Boolean.TRUE);
        }
        trustedProxies = trusted.build();
        rejectAtConnect = listen.rejectAtConnect() ? new RejectAtConnectHandler(this, policy, metrics) : null;
        forwardedFor = listen.forwardedHeader() == ForwardedHeader.X_FORWARDED_FOR
                ? new ForwardedForResolver(this) : null;
    }

    /** Compiles the caller-resolution settings of {@code listen}. */
    public static CallerPolicy of(ListenConfig listen, PolicyRef policy, GatewayMetrics metrics) {
        return new CallerPolicy(requireNonNull(listen, "listen"), requireNonNull(policy, "policy"),
                requireNonNull(metrics, "metrics"));
    }

    ListenConfig listen() {
        return listen;
    }

    /** Whether a PROXY or forwarded header from {@code peer} is believed ({@code listen.trustedProxies}). */
    boolean trusted(IpAddress peer) {
        return trustedProxies.lookup(peer) != null;
    }

    ProxyProtocolMode proxyProtocol() {
        return listen.proxyProtocol();
    }

    ForwardedHeader forwardedHeader() {
        return listen.forwardedHeader();
    }

    /**
     * A new PROXY protocol handler for one connection, or {@code null} when {@code proxyProtocol} is
     * {@code disabled}.
     *
     * @param headerTimeout how long a connection may take to complete its PROXY header
     */
    public ChannelHandler newProxyProtocolHandler(Duration headerTimeout) {
        if (listen.proxyProtocol() == ProxyProtocolMode.DISABLED) {
            return null;
        }
        return new ProxyProtocolHandler(this, metrics, headerTimeout.toNanos());
    }

    /** The shared {@code rejectAtConnect} handler, or {@code null} when it is off. */
    public ChannelHandler rejectAtConnectHandler() {
        return rejectAtConnect;
    }

    /** The shared {@code X-Forwarded-For} resolver, or {@code null} when {@code forwardedHeader} is none. */
    public ChannelHandler forwardedForResolver() {
        return forwardedFor;
    }
}
