package dev.privateupstream.deploy;

import static dev.privateupstream.deploy.Manifests.GATEWAY_CONTAINER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.privateupstream.deploy.DockerfileInstructions.Instruction;
import dev.privateupstream.deploy.DockerfileInstructions.Stage;
import dev.privateupstream.deploy.Manifests.Workload;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/Dockerfile builds the image the Kubernetes manifests run (SPEC §11): the runnable jar on a Java 17
 * runtime, as a non-root numeric user, with the proxy and admin ports exposed, started with the
 * configuration file where the manifests mount their ConfigMap. No Docker engine is needed: the file's
 * instructions are read and checked.
 */
class DockerfileTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String JAR = "/opt/gateway/gateway.jar";

    private static List<Stage> stages;
    private static Stage image;

    @BeforeAll
    static void parse() throws IOException {
        stages = DockerfileInstructions.stages(DockerfileInstructions.parse(
                Files.readString(Manifests.deployDirectory().resolve("Dockerfile"))));
        image = stages.get(stages.size() - 1);
    }

    static List<String> overlays() {
        return Manifests.OVERLAYS;
    }

    @Test
    void runsOnAJava17Runtime() {
        assertThat(image.image()).matches("eclipse-temurin:17(\\.[0-9.]+)?(_[0-9]+)?-jre([-@].*)?");
        assertThat(stages).first().satisfies(build -> assertThat(build.image()).startsWith("maven:")
                .contains("-17"));
    }

    @Test
    void runsAsANumericNonRootUserThePodsAlsoName() {
        final Instruction user = image.last("USER");
        assertThat(user).as("USER in the image's stage").isNotNull();
        final Matcher ids = Pattern.compile("([0-9]+)(?::([0-9]+))?").matcher(user.arguments());
        assertThat(ids.matches()).as("numeric USER: " + user.arguments()).isTrue();
        final long uid = Long.parseLong(ids.group(1));
        assertThat(uid).isNotZero();
        assertThat(ids.group(2)).as("numeric group").isNotNull().isNotEqualTo("0");
        for (String overlay : Manifests.OVERLAYS) {
            final Workload workload = Manifests.gatewayWorkload(Manifests.objects(overlay));
            final Container gateway = workload.container(GATEWAY_CONTAINER).orElseThrow();
            final Long podUser = gateway.getSecurityContext().getRunAsUser() != null
                    ? gateway.getSecurityContext().getRunAsUser()
                    : workload.template().getSpec().getSecurityContext().getRunAsUser();
            assertThat(podUser).as(overlay + " runAsUser").isEqualTo(uid);
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void exposesTheProxyAndAdminPortsOfGatewayYaml(String overlay) throws IOException {
        final JsonNode config = YAML.readTree(Manifests.gatewayYaml(overlay));
        assertThat(image.all("EXPOSE")).flatMap(Instruction::words).containsExactlyInAnyOrder(
                config.path("listen").path("port").asText(), config.path("admin").path("port").asText());
    }

    @Test
    void entrypointRunsTheJarTheBuildStageMade() {
        final List<String> entrypoint = image.last("ENTRYPOINT").execForm();
        assertThat(entrypoint).as("ENTRYPOINT in exec form, so that java is PID 1 and gets SIGTERM").isNotNull();
        assertThat(entrypoint.get(0)).isEqualTo("java");
        assertThat(entrypoint.subList(entrypoint.size() - 2, entrypoint.size())).containsExactly("-jar", JAR);

        final Stage build = stages.get(0);
        assertThat(build.name()).isNotNull();
        assertThat(image.all("COPY")).map(Instruction::arguments)
                .contains("--from=" + build.name() + " /src/gateway-server/target/gateway.jar " + JAR);
        assertThat(build.all("RUN")).map(Instruction::arguments)
                .anySatisfy(run -> assertThat(run).contains("mvn ").contains("-pl gateway-server -am package"));
    }

    /** The build stage has every module of the reactor (Maven reads them all) and the demo configuration. */
    @Test
    void buildStageCopiesEveryModule() throws IOException {
        final String pom = Files.readString(Manifests.deployDirectory().resolve("../pom.xml"));
        final Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(pom);
        final List<String> sources = stages.get(0).all("COPY").stream().map(i -> i.words().get(0)).toList();
        int modules = 0;
        while (module.find()) {
            modules++;
            assertThat(sources).as("COPY of module " + module.group(1))
                    .containsAnyOf(module.group(1), module.group(1) + "/pom.xml");
        }
        assertThat(modules).isPositive();
        assertThat(sources).contains("pom.xml", "config/demo");
    }

    /**
     * CMD names the file of the ConfigMap as every overlay mounts it, and no overlay overrides the image's
     * command or arguments.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void cmdRunsTheConfigurationTheManifestsMount(String overlay) {
        final List<String> cmd = image.last("CMD").execForm();
        assertThat(cmd).as("CMD in exec form").isNotNull().hasSize(3).startsWith("run", "--config");
        final Path config = Path.of(cmd.get(2));

        final List<HasMetadata> objects = Manifests.objects(overlay);
        final Workload workload = Manifests.gatewayWorkload(objects);
        final Container gateway = workload.container(GATEWAY_CONTAINER).orElseThrow();
        assertThat(gateway.getCommand()).as("command").isNullOrEmpty();
        assertThat(gateway.getArgs()).as("args").isNullOrEmpty();
        final List<String> configMapVolumes = workload.template().getSpec().getVolumes().stream()
                .filter(v -> v.getConfigMap() != null && Manifests.CONFIG_MAP.equals(v.getConfigMap().getName()))
                .map(Volume::getName).toList();
        assertThat(gateway.getVolumeMounts()).filteredOn(m -> configMapVolumes.contains(m.getName()))
                .map(VolumeMount::getMountPath).containsExactly(config.getParent().toString());
        assertThat(config.getFileName().toString()).isEqualTo(Manifests.CONFIG_KEY);
    }

    /** The build context leaves out build output (a stale jar must never reach the image), git and secrets. */
    @Test
    void buildContextLeavesOutBuildOutputGitAndSecrets() throws IOException {
        final List<String> ignored = Files.readAllLines(Manifests.deployDirectory().resolve("Dockerfile.dockerignore"))
                .stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(ignored).contains("**/target", ".git", "deploy/kubernetes/secret.yaml");
    }

    // ---- The parser itself ----

    @Test
    void parserJoinsContinuedLinesAndSkipsComments() {
        final List<Instruction> instructions = DockerfileInstructions.parse("""
                # syntax=docker/dockerfile:1
                ARG BASE=x
                FROM maven:3 AS build

                RUN --mount=type=cache,target=/root/.m2 \\
                    # a comment inside a continuation
                    mvn -B package
                from eclipse-temurin:17-jre
                ENTRYPOINT ["java", "-jar", "/a.jar"]
                CMD run --config /etc/x.yaml
                """);
        assertThat(instructions).map(Instruction::keyword).containsExactly("ARG", "FROM", "RUN", "FROM",
                "ENTRYPOINT", "CMD");
        assertThat(instructions.get(2).arguments()).isEqualTo("--mount=type=cache,target=/root/.m2 mvn -B package");
        assertThat(instructions.get(2).line()).isEqualTo(5);
        assertThat(instructions.get(4).execForm()).containsExactly("java", "-jar", "/a.jar");
        assertThat(instructions.get(5).execForm()).as("shell form").isNull();
        final List<Stage> parsed = DockerfileInstructions.stages(instructions);
        assertThat(parsed).map(Stage::image).containsExactly("maven:3", "eclipse-temurin:17-jre");
        assertThat(parsed).map(Stage::name).containsExactly("build", null);
    }

    @Test
    void parserRefusesWhatItDoesNotUnderstand() {
        assertThatThrownBy(() -> DockerfileInstructions.parse("FROM x\nRUN <<EOF\necho\nEOF\n"))
                .hasMessageContaining("heredocs");
        assertThatThrownBy(() -> DockerfileInstructions.stages(DockerfileInstructions.parse("RUN true\nFROM x\n")))
                .hasMessageContaining("RUN before FROM");
    }
}
