package dev.privateupstream.reload;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.policy.PolicySnapshot;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The policy snapshot in force, published through one {@link AtomicReference}.
 *
 * <p>Each request reads it once with {@link #get()} and keeps that version until it finishes; a change
 * compiles a whole new snapshot off the event loop and swaps it in, so the hot path takes no lock.
 */
public final class PolicyRef {
    private final AtomicReference<PolicySnapshot> current;
    private final Object swapLock = new Object();
    private volatile Consumer<PolicySnapshot> listener = s -> { };

    public PolicyRef(GatewayConfig initial) {
        current = new AtomicReference<>(PolicySnapshot.of(initial, 1));
    }

    /** The snapshot in force. */
    public PolicySnapshot get() {
        return current.get();
    }

    /**
     * Compiles {@code config} and puts it in force; the generation increases by one. Swaps are serialised
     * so generations stay ordered; readers never wait.
     */
    public PolicySnapshot swap(GatewayConfig config) {
        requireNonNull(config, "config");
        final PolicySnapshot next;
        synchronized (swapLock) {
            next = PolicySnapshot.of(config, current.get().generation() + 1);
            current.set(next);
        }
        listener.accept(next);
        return next;
    }

    /** Called after every swap, on the swapping thread (metrics of endpoint counts use it). */
    public void onSwap(Consumer<PolicySnapshot> listener) {
        this.listener = requireNonNull(listener, "listener");
    }
}
