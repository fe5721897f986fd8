package dev.privateupstream.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes a gateway.yaml and endpoints.yaml pair into a test's folder, loads it and checks errors. */
final class ConfigFiles {
    static final String RESOURCE_ID =
            "/subscriptions/0/resourceGroups/contoso/providers/Microsoft.Web/sites/contoso-func";

    /** The smallest valid gateway.yaml: one upstream and the endpoints file. */
    static final String MINIMAL = """
            upstreams:
              - name: contoso-func
                resourceId: %s
                url: http://127.0.0.1:7071
            sharedPrivateEndpoints:
              file: endpoints.yaml
            """.formatted(RESOURCE_ID);

    final Path folder;
    final Path gateway;
    final Path endpoints;
    private Map<String, String> environment = Map.of();

    ConfigFiles(Path folder) {
        this.folder = folder;
        gateway = folder.resolve("gateway.yaml");
        endpoints = folder.resolve("endpoints.yaml");
    }

    ConfigFiles environment(Map<String, String> environment) {
        this.environment = environment;
        return this;
    }

    ConfigFiles gateway(String text) {
        write(gateway, text);
        return this;
    }

    ConfigFiles endpoints(String text) {
        write(endpoints, text);
        return this;
    }

    GatewayConfig load() throws ConfigException {
        return new ConfigLoader(environment).load(gateway);
    }

    ConfigException loadFails() {
        ConfigException e = catchThrowableOfType(ConfigException.class, this::load);
        assertThat(e).as("loading should fail").isNotNull();
        return e;
    }

    /**
     * {@code config/gateway.yaml} of the project. Tests run in the module folder, but look upwards so that
     * a run from the project root finds it too.
     */
    static Path exampleConfig() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("config").resolve("gateway.yaml");
            if (Files.isRegularFile(candidate) && Files.isDirectory(dir.resolve("gateway-core"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("config/gateway.yaml not found in " + start + " or above");
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Asserts {@code e} holds exactly one error at {@code keyPath}, in {@code file} at {@code line}, whose
     * message contains {@code messagePart}, and that the exception's text shows it as
     * {@code FILE:LINE: key.path: message}.
     */
    static ConfigError assertError(ConfigException e, Path file, int line, String keyPath, String messagePart) {
        assertThat(e.errors()).filteredOn(err -> err.keyPath().equals(keyPath))
                .as("errors at %s in %s", keyPath, e.errors()).hasSize(1);
        ConfigError error = e.errors().stream().filter(err -> err.keyPath().equals(keyPath)).findFirst().get();
        assertThat(error.file()).isEqualTo(file.toAbsolutePath().normalize());
        assertThat(error.line()).as("line of %s", error).isEqualTo(line);
        assertThat(error.message()).contains(messagePart);
        assertThat(e.getMessage()).contains(file.toAbsolutePath().normalize() + ":" + line + ": " + keyPath + ": ");
        assertThat(error.toString()).contains(file.getFileName().toString());
        return error;
    }
}
