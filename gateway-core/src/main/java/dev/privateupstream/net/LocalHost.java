package dev.privateupstream.net;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * This machine's host name: the default replica id of the etcd store and the host a replica registers
 * (SPEC §10). In Kubernetes it is the pod's name.
 */
public final class LocalHost {
    private LocalHost() {
    }

    /** The host name, or {@code localhost} when the machine has none it can resolve. */
    public static String name() {
        try {
            final String name = InetAddress.getLocalHost().getHostName();
            return name == null || name.isBlank() ? "localhost" : name;
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
