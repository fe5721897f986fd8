package dev.privateupstream.cli;

import dev.privateupstream.GatewayServer;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.metrics.GatewayMetrics;
import dev.privateupstream.transport.Transport;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code run --config FILE}: runs the gateway until SIGTERM or SIGINT, then drains (SPEC §9) and exits 0.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the gateway until SIGTERM or SIGINT, then drain and exit.",
                "The proxy listener, the admin server and the configuration watch run until SIGTERM or SIGINT; "
                + "then /readyz turns 503, in-flight requests finish (up to limits.drainTimeout) and the process "
                + "exits 0.",
                "Changes to the configuration and endpoints files apply while it runs; a bad change is logged and "
                + "the last good configuration stays in force."},
        footer = {"  java -jar gateway.jar run --config /etc/gateway/gateway.yaml",
                "  java -jar gateway.jar run -c gateway.yaml --transport epoll --threads 4",
                "  java -jar gateway.jar validate -c gateway.yaml && \\",
                "      java -jar gateway.jar run -c gateway.yaml"},
        exitCodeList = {"0:stopped by SIGTERM or SIGINT after draining",
                "2:bad usage or configuration, or the store refused the gateway: nothing started"})
final class RunCommand implements Callable<Integer> {
    private static final Logger logger = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    ConfigOption config;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "event loop threads (default: one per processor)")
    int threads;

    @Option(names = "--transport", paramLabel = "NAME", defaultValue = "auto",
            description = "socket transport: auto (io_uring on Linux 6.1+ where it loads, else epoll, else NIO),"
                    + " epoll, io_uring or nio"
                    + " (default: ${DEFAULT-VALUE})")
    String transport;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final Transport chosen;
        try {
            chosen = Transport.select(transport);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("run: " + e.getMessage());
            return GatewayCommand.USAGE;
        }
        final ConfigLoader loader = ConfigLoader.fromSystemEnvironment();
        final GatewayConfig loaded = config.load(spec.commandLine().getErr(), loader);
        if (loaded == null) {
            return GatewayCommand.USAGE;
        }
        // Taken before the listener opens: a SIGTERM as soon as the gateway serves must drain, not kill.
        final CountDownLatch stop = new CountDownLatch(1);
        Signals.onTerminate(stop::countDown);
        final GatewayServer server;
        try {
            server = GatewayServer.start(loaded, loader, new GatewayMetrics(), threads, chosen);
        } catch (IllegalStateException e) {
            // The etcd store refused the gateway (credentials, certificates): nothing starts half-configured.
            spec.commandLine().getErr().println("run: " + e.getMessage());
            return GatewayCommand.USAGE;
        }
        stop.await();
        logger.info("shutting down: draining for up to {}", loaded.limits().drainTimeout());
        server.drain(loaded.limits().drainTimeout());
        server.close();
        logger.info("stopped");
        return 0;
    }
}
