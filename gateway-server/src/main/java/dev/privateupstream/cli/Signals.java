package dev.privateupstream.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as events rather than JVM exit.
 *
 * <p>A shutdown hook cannot choose the exit status (the JVM exits 143 after SIGTERM), and SPEC §9 wants
 * a drained gateway to exit 0, so the signals are taken with {@code sun.misc.Signal}, which the JDK keeps
 * for exactly this use.
 */
final class Signals {
    private Signals() {
    }

    static void onTerminate(Runnable action) {
        final sun.misc.SignalHandler handler = s -> action.run();
        Signal.handle(new Signal("TERM"), handler);
        Signal.handle(new Signal("INT"), handler);
    }
}
