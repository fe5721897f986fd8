package dev.privateupstream.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.privateupstream.testing.GatewayProcess;
import dev.privateupstream.testing.RawClient;
import dev.privateupstream.testing.RecordingBackend;
import dev.privateupstream.testing.RecordingBackend.Recorded;
import dev.privateupstream.testing.TestGateway;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway where io_uring is forbidden as the default seccomp profiles of Docker and containerd forbid
 * it: the jar runs under {@code src/test/scripts/forbid-io-uring.py}, a real seccomp filter that makes the
 * io_uring system calls fail with EPERM. {@code auto} must fall back to epoll, say why at start-up and
 * serve; asking for io_uring by name must stop the start with the reason.
 */
class IoUringForbiddenIT {
    private static final Path FORBID = Path.of("src/test/scripts/forbid-io-uring.py");
    private static final String CALL = "POST /api/v1/hubs/chat HTTP/1.1\r\nHost: func-a.example\r\n"
            + "X-Forwarded-For: 203.0.113.66\r\nContent-Length: 2\r\n\r\nhi";

    @TempDir
    Path dir;

    private RecordingBackend backend;
    private Path config;

    @BeforeEach
    void files() throws Exception {
        assumeTrue(Transport.IO_URING.isAvailable(), () -> "io_uring does not load here, so there is nothing to "
                + "forbid: " + Transport.IO_URING.unavailabilityCause());
        assertThat(FORBID).as("the seccomp launcher").isRegularFile();
        backend = RecordingBackend.start();
        config = TestGateway.writeStandardFiles(dir, backend, "");
    }

    @AfterEach
    void stop() throws Exception {
        if (backend != null) {
            backend.close();
        }
    }

    private static List<String> forbidding() {
        return List.of("python3", FORBID.toString());
    }

    @Test
    void autoFallsBackToEpollSaysWhyAndServes() throws Exception {
        try (GatewayProcess gateway = GatewayProcess.start(config, dir.resolve("logs"), "forbidden", forbidding(),
                "auto")) {
            assertThat(gateway.stderr())
                    .contains("transport auto: io_uring unavailable: ")
                    .contains("Operation not permitted")
                    .contains("(epoll transport, 2 event loops)");
            try (RawClient client = new RawClient("127.0.0.10", gateway.proxyPort())) {
                assertThat(client.send(CALL).read().status()).isEqualTo(200);
            }
            try (RawClient client = new RawClient("127.0.0.1", gateway.proxyPort())) {
                assertThat(client.send(CALL).read().status()).isEqualTo(403);
            }
            assertThat(backend.awaitCount(1, Duration.ofSeconds(5))).isTrue();
            assertThat(backend.received()).hasSize(1);
            final Recorded seen = backend.received().get(0);
            assertThat(seen.headers("X-Forwarded-For")).containsExactly("127.0.0.10");
        }
    }

    @Test
    void askingForIoUringByNameStopsTheStartWithTheReason() throws Exception {
        final List<String> command = new ArrayList<>(forbidding());
        command.addAll(GatewayProcess.command("run", "--config", config.toString(), "--transport", "io_uring"));
        final Path err = dir.resolve("io_uring.err");
        final Process process = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile())
                .start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
        final String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(stderr).isEqualTo(2);
        assertThat(stderr).contains("run: io_uring is not available on this machine (")
                .contains("Operation not permitted")
                .contains("use --transport auto");
        assertThat(backend.received()).isEmpty();
    }
}
