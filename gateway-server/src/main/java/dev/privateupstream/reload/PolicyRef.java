package dev.privateupstream.reload;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.policy.PolicySnapshot;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
    /** Told of every swap: the gauges of endpoint counts, the admin API's event stream. */
    private final List<Consumer<PolicySnapshot>> listeners = new CopyOnWriteArrayList<>();

    public PolicyRef(GatewayConfig initial) {
        this(PolicySnapshot.of(initial, 1));
    }

    private PolicyRef(PolicySnapshot first) {
        current = new AtomicReference<>(first);
    }

    /** A reference whose first snapshot has no endpoint set yet ({@link PolicySnapshot#awaitingStore}). */
    public static PolicyRef awaitingStore(GatewayConfig initial) {
        return new PolicyRef(PolicySnapshot.awaitingStore(initial, 1));
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
        tell(next);
        return next;
    }

    /**
     * As {@link #swap}, for a configuration whose endpoints differ from those in force only by
     * {@code changed} (created or changed, none removed): the snapshot reuses what was compiled for the
     * others when it can ({@link PolicySnapshot#withChanged}).
     */
    public PolicySnapshot swapChanged(GatewayConfig config, List<SharedPrivateEndpoint> changed) {
        requireNonNull(config, "config");
        final PolicySnapshot next;
        synchronized (swapLock) {
            final PolicySnapshot now = current.get();
            next = now.withChanged(config, now.generation() + 1, changed);
            current.set(next);
        }
        tell(next);
        return next;
    }

    /**
     * Puts a changed {@code gateway.yaml} in force, keeping the endpoint set as it is: while no set has been
     * loaded from the store yet, the new snapshot still has none ({@link PolicySnapshot#awaitingStore}).
     */
    public PolicySnapshot reconfigure(GatewayConfig config) {
        requireNonNull(config, "config");
        final PolicySnapshot next;
        synchronized (swapLock) {
            final PolicySnapshot now = current.get();
            next = now.endpointsLoaded() ? PolicySnapshot.of(config, now.generation() + 1)
                    : PolicySnapshot.awaitingStore(config, now.generation() + 1);
            current.set(next);
        }
        tell(next);
        return next;
    }

    private void tell(PolicySnapshot next) {
        for (Consumer<PolicySnapshot> listener : listeners) {
            listener.accept(next);
        }
    }

    /**
     * Has {@code listener} called after every swap from now on, on the swapping thread (never a proxy event
     * loop); it must be quick, as the next swap waits for it.
     */
    public void onSwap(Consumer<PolicySnapshot> listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    /** Stops calling a listener given to {@link #onSwap}. */
    public void removeSwapListener(Consumer<PolicySnapshot> listener) {
        listeners.remove(listener);
    }
}
