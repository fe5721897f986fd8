package dev.privateupstream.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PEM keys and certificates made at test time with the {@code openssl} command (no key material is checked
 * in): what an operator would configure.
 */
final class TestPem {
    private TestPem() {
    }

    /** Runs openssl with {@code arguments} in {@code dir}; fails the test unless it exits 0. */
    static String openssl(Path dir, String... arguments) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(arguments));
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
        }
        return output;
    }

    /** A P-256 key (PKCS#8) and a self-signed certificate for it, {@code /CN=commonName}. */
    static void selfSigned(Path certificate, Path key, String commonName) throws IOException, InterruptedException {
        final Path dir = certificate.toAbsolutePath().getParent();
        openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
        certificateFor(key, certificate, commonName);
    }

    /** A self-signed certificate for an existing {@code key}. */
    static void certificateFor(Path key, Path certificate, String commonName) throws IOException, InterruptedException {
        openssl(certificate.toAbsolutePath().getParent(), "req", "-x509", "-key", key.toString(), "-out",
                certificate.toString(), "-days", "2", "-subj", "/CN=" + commonName);
    }
}
