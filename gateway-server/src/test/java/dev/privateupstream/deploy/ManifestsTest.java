package dev.privateupstream.deploy;

import static dev.privateupstream.deploy.Manifests.GATEWAY_CONTAINER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.config.GatewayConfig;
import dev.privateupstream.deploy.Manifests.Workload;
import dev.privateupstream.testing.TestCertificates;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kubernetes manifests of deploy/kubernetes keep the promises of SPEC §11 and deploy/README.md. Each
 * overlay is rendered (by {@link Kustomize}, checked against {@code kubectl kustomize} where one is on the
 * PATH) and every object read strictly into fabric8's typed model; then each promise is checked against
 * the objects and against the overlay's own {@code gateway.yaml}.
 */
class ManifestsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String ETCD = "etcd";
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]");

    static Stream<String> overlays() {
        return Manifests.OVERLAYS.stream();
    }

    private static Path kubernetesDirectory() {
        return Manifests.deployDirectory().resolve("kubernetes");
    }

    /** An overlay's gateway.yaml as a tree, for the values the manifests must agree with. */
    private static JsonNode gatewayYamlTree(List<HasMetadata> objects) throws IOException {
        return YAML.readTree(Manifests.gatewayYaml(objects));
    }

    private static Container gatewayContainer(List<HasMetadata> objects) {
        return Manifests.gatewayWorkload(objects).container(GATEWAY_CONTAINER).orElseThrow();
    }

    // ---- Rendering and typing ----

    @ParameterizedTest
    @ValueSource(strings = {"overlays/standalone", "overlays/sidecar", "overlays/admin-tls", "base", "etcd"})
    void everyRenderedDocumentIsATypedKubernetesObject(String kustomization) {
        final List<Map<String, Object>> documents = Kustomize.build(kubernetesDirectory().resolve(kustomization));
        assertThat(documents).isNotEmpty();
        for (Map<String, Object> document : documents) {
            final HasMetadata object = KubernetesModel.read(document);
            assertThat(object).as("%s %s", document.get("kind"), object.getMetadata().getName())
                    .isNotInstanceOf(GenericKubernetesResource.class);
        }
    }

    @Test
    void aMisspeltFieldFailsTheRead() {
        final String manifest = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: misspelt
                spec:
                  selector:
                    matchLabels: {app: misspelt}
                  template:
                    metadata:
                      labels: {app: misspelt}
                    spec:
                      containers:
                        - name: app
                          image: example/app:1
                          imagePullPolicy: IfNotPresent
                """;
        assertThat(KubernetesModel.read(manifest)).isInstanceOf(Deployment.class);
        assertThatThrownBy(() -> KubernetesModel.read(manifest.replace("imagePullPolicy:", "imagePullPolicyy:")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("imagePullPolicyy");
        assertThatThrownBy(() -> KubernetesModel.read(manifest.replace("  selector:", "  selectorr:")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("selectorr");
        assertThatThrownBy(() -> KubernetesModel.read(manifest.replace("kind: Deployment",
                "kind: Deployment\nreplicas: 3"))).hasMessageContaining("replicas");
    }

    @Test
    void aMisspeltFieldInARenderedOverlayFailsTheRead() {
        final List<Map<String, Object>> documents = Kustomize.build(Manifests.overlayDirectory("standalone"));
        final Map<String, Object> deployment = documents.stream().filter(d -> "Deployment".equals(d.get("kind")))
                .findFirst().orElseThrow();
        final Map<String, Object> container = YamlDocuments.asMap(((List<?>) ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>)
                deployment.get("spec")).get("template")).get("spec")).get("containers")).get(0), "container");
        container.put("imagePullPolicyy", container.remove("imagePullPolicy"));
        assertThatThrownBy(() -> KubernetesModel.read(deployment)).hasMessageContaining("imagePullPolicyy");
    }

    /** The renderer gives what kubectl gives, wherever a kubectl with kustomize v5 is on the PATH. */
    @ParameterizedTest
    @ValueSource(strings = {"overlays/standalone", "overlays/sidecar", "overlays/admin-tls", "base", "etcd"})
    void rendersAsKubectlKustomizeDoes(String kustomization) throws Exception {
        final Path kubectl = Kubectl.withKustomizeV5();
        assumeTrue(kubectl != null, "no kubectl with kustomize v5 on the PATH");
        final Path dir = kubernetesDirectory().resolve(kustomization);
        final String rendered = Kubectl.kustomize(kubectl, dir);
        assertThat(byId(YamlDocuments.parseObjects(rendered, "kubectl kustomize " + dir)))
                .isEqualTo(byId(Kustomize.build(dir)));
    }

    private static Map<String, Map<String, Object>> byId(List<Map<String, Object>> objects) {
        final Map<String, Map<String, Object>> byId = new TreeMap<>();
        for (Map<String, Object> object : objects) {
            byId.put(object.get("apiVersion") + " " + object.get("kind") + " "
                    + ((Map<?, ?>) object.get("metadata")).get("name"), object);
        }
        return byId;
    }

    /** Every manifest file is tested: reachable from a tested kustomization, or one of the known extras. */
    @Test
    void everyManifestFileIsPartOfATestedKustomization() throws IOException {
        final Path root = kubernetesDirectory();
        final Set<Path> covered = new LinkedHashSet<>();
        for (String kustomization : List.of("overlays/standalone", "overlays/sidecar", "overlays/admin-tls", "base",
                "etcd")) {
            covered.addAll(Kustomize.files(root.resolve(kustomization)));
        }
        covered.add(root.resolve("secret.example.yaml"));
        covered.add(root.resolve("monitoring/podmonitor.yaml"));
        covered.add(root.resolve("monitoring/podmonitor-admin-tls.yaml"));
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.filter(Files::isRegularFile).map(Path::normalize))
                    .allSatisfy(file -> assertThat(covered).as("tested files").contains(file));
        }
    }

    // ---- gateway.yaml ----

    /**
     * The ConfigMap's gateway.yaml passes the gateway's own validation, with the environment its pod gives
     * it (the container's env, HOSTNAME from the runtime), and the values the manifests rely on are those
     * the gateway reads.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void gatewayYamlPassesTheGatewaysOwnValidation(String overlay, @TempDir Path dir) throws Exception {
        final List<HasMetadata> objects = Manifests.objects(overlay);
        final Path file = dir.resolve(Manifests.CONFIG_KEY);
        Files.writeString(file, withPodFiles(objects, Manifests.gatewayYaml(objects), dir));
        final GatewayConfig config = new ConfigLoader(podEnvironment(objects)).load(file);
        final JsonNode tree = gatewayYamlTree(objects);
        assertThat(config.admin().port()).isEqualTo(tree.path("admin").path("port").asInt());
        assertThat(config.admin().address()).isEqualTo("0.0.0.0");
        assertThat(config.listen().port()).isEqualTo(tree.path("listen").path("port").asInt());
        assertThat(config.limits().drainTimeout()).isEqualTo(duration(tree.path("limits").path("drainTimeout")));
    }

    /**
     * {@code text} with the folders the pod mounts for {@code admin.tls} (a Secret's, a ConfigMap's) moved to
     * folders under {@code dir} holding what an operator would put in them: a certificate and its key, and a
     * CA certificate, made with openssl. Unchanged without {@code admin.tls}.
     */
    private static String withPodFiles(List<HasMetadata> objects, String text, Path dir) throws Exception {
        final JsonNode tls = YAML.readTree(text).path("admin").path("tls");
        if (tls.isMissingNode()) {
            return text;
        }
        final TestCertificates ca = TestCertificates.create(dir, "admin-ca");
        final TestCertificates.Issued served = ca.issue("admin", "gateway-admin", "DNS:gateway-admin");
        final Map<String, Path> made = Map.of("certificate", served.certificate(), "privateKey", served.privateKey(),
                "clientCa", ca.caCertificate());
        final Container gateway = gatewayContainer(objects);
        String moved = text;
        for (Map.Entry<String, Path> file : made.entrySet()) {
            if (!tls.has(file.getKey())) {
                continue;
            }
            final Path inPod = Path.of(tls.path(file.getKey()).asText());
            final VolumeMount mount = gateway.getVolumeMounts().stream()
                    .filter(m -> inPod.getParent().toString().equals(m.getMountPath())).findFirst()
                    .orElseThrow(() -> new AssertionError("admin.tls." + file.getKey() + " " + inPod
                            + " is in no folder the gateway's container mounts"));
            final Path folder = Files.createDirectories(dir.resolve("mounts").resolve(mount.getName()));
            Files.copy(file.getValue(), folder.resolve(inPod.getFileName().toString()));
            moved = moved.replace(inPod.toString(), folder.resolve(inPod.getFileName().toString()).toString());
        }
        return moved;
    }

    /** Every ${NAME} without a default in gateway.yaml is set in the gateway's container. */
    @ParameterizedTest
    @MethodSource("overlays")
    void everyVariableOfGatewayYamlIsSetInThePod(String overlay) {
        final List<HasMetadata> objects = Manifests.objects(overlay);
        final Matcher variable = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}")
                .matcher(Manifests.gatewayYaml(objects));
        final Set<String> required = new TreeSet<>();
        while (variable.find()) {
            if (variable.group(2) == null) {
                required.add(variable.group(1));
            }
        }
        assertThat(required).contains("GATEWAY_ADMIN_TOKEN", "SIGNALR_KEY_PRIMARY", "HOSTNAME");
        assertThat(podEnvironment(objects).keySet()).containsAll(required);
    }

    /**
     * The environment of the gateway's container: a placeholder for each variable it sets (a Secret's value
     * is not known here; an optional one may be absent), and HOSTNAME, which the runtime sets to the pod's
     * name.
     */
    private static Map<String, String> podEnvironment(List<HasMetadata> objects) {
        final Map<String, String> env = new HashMap<>();
        for (EnvVar var : gatewayContainer(objects).getEnv()) {
            final boolean optional = var.getValueFrom() != null && var.getValueFrom().getSecretKeyRef() != null
                    && Boolean.TRUE.equals(var.getValueFrom().getSecretKeyRef().getOptional());
            if (!optional) {
                env.put(var.getName(), var.getValue() != null ? var.getValue() : "value-of-" + var.getName());
            }
        }
        env.put("HOSTNAME", "gateway-7d9f8b6c5-x2x4q");
        return env;
    }

    // ---- Probes, ports, shutdown ----

    @ParameterizedTest
    @MethodSource("overlays")
    void probesAskTheAdminPortOfGatewayYaml(String overlay) throws IOException {
        final List<HasMetadata> objects = Manifests.objects(overlay);
        final JsonNode config = gatewayYamlTree(objects);
        final int adminPort = config.path("admin").path("port").asInt();
        assertThat(config.path("admin").path("address").asText()).as("admin.address").isEqualTo("0.0.0.0");
        final Container gateway = gatewayContainer(objects);

        // With admin.tls the admin port speaks only TLS: every probe asks over HTTPS, and only then.
        final String scheme = config.path("admin").has("tls") ? "HTTPS" : "HTTP";
        assertThat(httpGet(gateway, gateway.getLivenessProbe(), "liveness"))
                .isEqualTo(scheme + " /healthz " + adminPort);
        assertThat(httpGet(gateway, gateway.getReadinessProbe(), "readiness"))
                .isEqualTo(scheme + " /readyz " + adminPort);
        assertThat(httpGet(gateway, gateway.getStartupProbe(), "startup")).isEqualTo(scheme + " /healthz " + adminPort);
        assertThat(containerPort(gateway, "http")).isEqualTo(config.path("listen").path("port").asInt());
        assertThat(containerPort(gateway, "admin")).isEqualTo(adminPort);
    }

    /** "SCHEME PATH PORT" of an httpGet probe (HTTP when unset), its port resolved by name. */
    private static String httpGet(Container container, Probe probe, String what) {
        assertThat(probe).as(what + " probe").isNotNull();
        final HTTPGetAction get = probe.getHttpGet();
        assertThat(get).as(what + " probe's httpGet").isNotNull();
        return (get.getScheme() == null ? "HTTP" : get.getScheme()) + " " + get.getPath() + " "
                + port(container, get.getPort());
    }

    private static int port(Container container, IntOrString port) {
        return port.getIntVal() != null ? port.getIntVal() : containerPort(container, port.getStrVal());
    }

    private static int containerPort(Container container, String name) {
        return container.getPorts().stream().filter(p -> name.equals(p.getName())).map(ContainerPort::getContainerPort)
                .findFirst().orElseThrow(() -> new AssertionError(container.getName() + " has no port " + name));
    }

    /**
     * Kubernetes sends SIGKILL at the end of the grace period, which must cover every preStop sleep of the
     * pod (the app's first in the sidecar, then the gateway's) and the gateway's drain (SPEC §9).
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void gracePeriodCoversThePreStopSleepsAndTheDrain(String overlay) throws IOException {
        final List<HasMetadata> objects = Manifests.objects(overlay);
        final Workload workload = Manifests.gatewayWorkload(objects);
        final Duration drain = duration(gatewayYamlTree(objects).path("limits").path("drainTimeout"));
        final Container gateway = workload.container(GATEWAY_CONTAINER).orElseThrow();
        assertThat(preStopSeconds(gateway)).as("the gateway's preStop sleep").isBetween(3L, 15L);
        long needed = drain.toSeconds();
        for (Container container : workload.allContainers()) {
            needed += preStopSeconds(container);
        }
        assertThat(workload.template().getSpec().getTerminationGracePeriodSeconds()).isGreaterThan(needed);
    }

    private static long preStopSeconds(Container container) {
        final Lifecycle lifecycle = container.getLifecycle();
        if (lifecycle == null || lifecycle.getPreStop() == null) {
            return 0;
        }
        if (lifecycle.getPreStop().getSleep() != null) {
            return lifecycle.getPreStop().getSleep().getSeconds();
        }
        final List<String> command = lifecycle.getPreStop().getExec().getCommand();
        assertThat(command).as(container.getName() + "'s preStop").hasSize(2).startsWith("sleep");
        return Long.parseLong(command.get(1));
    }

    // ---- Secrets ----

    @ParameterizedTest
    @MethodSource("overlays")
    void secretsAreReferencedNeverInlined(String overlay) throws IOException {
        final List<HasMetadata> objects = Manifests.objects(overlay);
        assertThat(Manifests.all(objects, Secret.class)).as("Secrets in the overlay").isEmpty();
        final Map<String, EnvVar> env = gatewayContainer(objects).getEnv().stream()
                .collect(Collectors.toMap(EnvVar::getName, v -> v));
        final Secret example = (Secret) KubernetesModel.read(Files.readString(
                kubernetesDirectory().resolve("secret.example.yaml")));
        for (String name : List.of("GATEWAY_ADMIN_TOKEN", "SIGNALR_KEY_PRIMARY", "SIGNALR_KEY_SECONDARY")) {
            final EnvVar var = env.get(name);
            assertThat(var).as(name).isNotNull();
            assertThat(var.getValue()).as(name + " inline").isNull();
            assertThat(var.getValueFrom().getSecretKeyRef()).as(name + " secretKeyRef").isNotNull();
            assertThat(var.getValueFrom().getSecretKeyRef().getName()).isEqualTo(example.getMetadata().getName());
            assertThat(example.getStringData()).as("keys of secret.example.yaml")
                    .containsKey(var.getValueFrom().getSecretKeyRef().getKey());
        }
        assertThat(env.get("GATEWAY_ADMIN_TOKEN").getValueFrom().getSecretKeyRef().getOptional()).isNotEqualTo(true);
        assertThat(env.get("SIGNALR_KEY_PRIMARY").getValueFrom().getSecretKeyRef().getOptional()).isNotEqualTo(true);
    }

    /** No file under deploy/ declares a Secret with data, but the example, whose values are placeholders. */
    @Test
    void noSecretWithDataIsCommitted() throws IOException {
        final Path example = kubernetesDirectory().resolve("secret.example.yaml");
        final List<Path> yamlFiles;
        try (Stream<Path> files = Files.walk(Manifests.deployDirectory())) {
            yamlFiles = files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).toList();
        }
        assertThat(yamlFiles).isNotEmpty();
        for (Path file : yamlFiles) {
            for (Object document : YamlDocuments.parseAll(Files.readString(file))) {
                if (!(document instanceof Map<?, ?> object) || !"Secret".equals(object.get("kind"))) {
                    continue;
                }
                assertThat(file).as("a Secret with data").isEqualTo(example);
                assertThat(object.get("data")).isNull();
                assertThat(((Map<?, ?>) object.get("stringData")).values())
                        .allSatisfy(v -> assertThat((String) v).matches("|REPLACE-.*"));
            }
        }
        assertThat(Files.readAllLines(Manifests.deployDirectory().resolve("../.gitignore")))
                .as("a filled-in copy of the example stays out of git").contains("deploy/kubernetes/secret.yaml");
    }

    // ---- Hardening ----

    @ParameterizedTest
    @ValueSource(strings = {"overlays/standalone", "overlays/sidecar", "overlays/admin-tls", "etcd"})
    void everyContainerRunsLockedDown(String kustomization) {
        final List<Workload> workloads = Manifests.workloads(Manifests.objects(kubernetesDirectory()
                .resolve(kustomization)));
        assertThat(workloads).isNotEmpty();
        for (Workload workload : workloads) {
            final PodSpec pod = workload.template().getSpec();
            final PodSecurityContext podContext = pod.getSecurityContext();
            assertThat(pod.getHostNetwork()).as(workload.name() + " hostNetwork").isNotEqualTo(true);
            assertThat(pod.getHostPID()).as(workload.name() + " hostPID").isNotEqualTo(true);
            assertThat(pod.getHostIPC()).as(workload.name() + " hostIPC").isNotEqualTo(true);
            assertThat(pod.getAutomountServiceAccountToken()).as(workload.name() + " service account token")
                    .isFalse();
            assertThat(podContext.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            for (Container container : workload.allContainers()) {
                final String name = workload.name() + " container " + container.getName();
                final SecurityContext context = container.getSecurityContext();
                assertThat(context).as(name + " securityContext").isNotNull();
                assertThat(context.getReadOnlyRootFilesystem()).as(name + " readOnlyRootFilesystem").isTrue();
                assertThat(context.getAllowPrivilegeEscalation()).as(name + " allowPrivilegeEscalation").isFalse();
                assertThat(context.getPrivileged()).as(name + " privileged").isNotEqualTo(true);
                assertThat(context.getRunAsNonRoot() != null ? context.getRunAsNonRoot()
                        : podContext.getRunAsNonRoot()).as(name + " runAsNonRoot").isTrue();
                final Long user = context.getRunAsUser() != null ? context.getRunAsUser() : podContext.getRunAsUser();
                assertThat(user).as(name + " runAsUser").isNotNull().isNotZero();
                final Capabilities capabilities = context.getCapabilities();
                assertThat(capabilities.getAdd()).as(name + " added capabilities").isNullOrEmpty();
                assertThat(capabilities.getDrop()).as(name + " dropped capabilities").contains("ALL");
                assertThat(container.getResources().getRequests()).as(name + " requests")
                        .containsKeys("cpu", "memory");
                assertThat(container.getResources().getLimits()).as(name + " limits").containsKey("memory");
            }
        }
    }

    /**
     * The gateway writes only to emptyDirs (/tmp for the JVM, the etcd store's cache file) and reads
     * gateway.yaml from the ConfigMap mounted as a folder, so that Kubernetes updates it in place.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void theGatewayReadsItsConfigMapAsAFolderAndWritesOnlyToEmptyDirs(String overlay) throws IOException {
        final List<HasMetadata> objects = Manifests.objects(overlay);
        final Workload workload = Manifests.gatewayWorkload(objects);
        final Container gateway = workload.container(GATEWAY_CONTAINER).orElseThrow();
        final Map<String, Volume> volumes = workload.template().getSpec().getVolumes().stream()
                .collect(Collectors.toMap(Volume::getName, v -> v));
        assertThat(volumes).containsKeys(gateway.getVolumeMounts().stream().map(VolumeMount::getName)
                .toArray(String[]::new));

        final VolumeMount config = mountOf(gateway, volumes, v -> v.getConfigMap() != null
                && Manifests.CONFIG_MAP.equals(v.getConfigMap().getName()));
        assertThat(volumes.get(config.getName()).getConfigMap().getName()).isEqualTo(Manifests.CONFIG_MAP);
        assertThat(config.getSubPath()).as("a subPath mount is never updated").isNull();
        assertThat(config.getReadOnly()).isTrue();
        assertThat(Manifests.only(objects, ConfigMap.class, Manifests.CONFIG_MAP).getData())
                .containsKey(Manifests.CONFIG_KEY);

        assertThat(emptyDirMountPaths(gateway, volumes)).contains("/tmp");
        final String cacheFile = gatewayYamlTree(objects).path("sharedPrivateEndpoints").path("etcd")
                .path("cacheFile").asText();
        assertThat(cacheFile).startsWith("/");
        assertThat(emptyDirMountPaths(gateway, volumes)).contains(Path.of(cacheFile).getParent().toString());
    }

    private static VolumeMount mountOf(Container container, Map<String, Volume> volumes, Predicate<Volume> kind) {
        final List<VolumeMount> mounts = container.getVolumeMounts().stream()
                .filter(m -> kind.test(volumes.get(m.getName()))).toList();
        assertThat(mounts).as(container.getName() + "'s mounts of that kind").hasSize(1);
        return mounts.get(0);
    }

    private static Set<String> emptyDirMountPaths(Container container, Map<String, Volume> volumes) {
        return container.getVolumeMounts().stream().filter(m -> volumes.get(m.getName()).getEmptyDir() != null)
                .map(VolumeMount::getMountPath).collect(Collectors.toSet());
    }

    // ---- Standalone ----

    @Test
    void standaloneRunsThreeReplicasSpreadOverNodesWithABudget() throws IOException {
        final List<HasMetadata> objects = Manifests.objects("standalone");
        final Workload workload = Manifests.gatewayWorkload(objects);
        assertThat(workload.object()).isInstanceOf(Deployment.class);
        final Deployment deployment = (Deployment) workload.object();
        final Map<String, String> podLabels = workload.template().getMetadata().getLabels();
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
        assertThat(podLabels).containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());

        final List<TopologySpreadConstraint> byNode = workload.template().getSpec().getTopologySpreadConstraints()
                .stream().filter(c -> "kubernetes.io/hostname".equals(c.getTopologyKey())).toList();
        assertThat(byNode).hasSize(1);
        assertThat(byNode.get(0).getWhenUnsatisfiable()).isEqualTo("DoNotSchedule");
        assertThat(byNode.get(0).getMaxSkew()).isEqualTo(1);
        assertThat(podLabels).containsAllEntriesOf(byNode.get(0).getLabelSelector().getMatchLabels());

        final List<PodDisruptionBudget> budgets = Manifests.all(objects, PodDisruptionBudget.class).stream()
                .filter(b -> podLabels.entrySet().containsAll(b.getSpec().getSelector().getMatchLabels().entrySet()))
                .toList();
        assertThat(budgets).hasSize(1);
        final IntOrString minAvailable = budgets.get(0).getSpec().getMinAvailable();
        final IntOrString maxUnavailable = budgets.get(0).getSpec().getMaxUnavailable();
        assertThat(minAvailable != null && Objects.equals(minAvailable.getIntVal(), 2)
                || maxUnavailable != null && Objects.equals(maxUnavailable.getIntVal(), 1))
                .as("minAvailable 2 or maxUnavailable 1").isTrue();

        final Container gateway = workload.container(GATEWAY_CONTAINER).orElseThrow();
        final int listenPort = gatewayYamlTree(objects).path("listen").path("port").asInt();
        final List<Service> services = Manifests.all(objects, Service.class).stream()
                .filter(s -> s.getSpec().getSelector() != null
                        && podLabels.entrySet().containsAll(s.getSpec().getSelector().entrySet())).toList();
        assertThat(services).hasSize(1);
        assertThat(services.get(0).getSpec().getPorts()).map(p -> port(gateway, p.getTargetPort()))
                .containsExactly(listenPort);
    }

    // ---- Sidecar ----

    @Test
    void sidecarStartsBeforeTheFunctionsAppAndStopsAfterIt() {
        final List<HasMetadata> objects = Manifests.objects("sidecar");
        final Workload workload = Manifests.gatewayWorkload(objects);
        assertThat(workload.containers()).extracting(Container::getName).containsExactly("functions");
        // A native sidecar: an init container that keeps running (restartPolicy: Always). The kubelet starts
        // the app containers only once it has started and passed its startup probe, and stops it only after
        // they have exited.
        final Container gateway = workload.initContainers().stream()
                .filter(c -> GATEWAY_CONTAINER.equals(c.getName())).findFirst().orElseThrow();
        assertThat(gateway.getRestartPolicy()).isEqualTo("Always");
        assertThat(gateway.getStartupProbe()).isNotNull();
        // Init containers before it would delay it, never the app: only sidecars may precede it.
        for (Container before : workload.initContainers().subList(0, workload.initContainers().indexOf(gateway))) {
            assertThat(before.getRestartPolicy()).as(before.getName()).isEqualTo("Always");
        }
    }

    @Test
    void sidecarForwardsToTheFunctionsAppOverThePodsLoopbackOnly() throws IOException {
        final List<HasMetadata> objects = Manifests.objects("sidecar");
        final Workload workload = Manifests.gatewayWorkload(objects);
        final JsonNode upstreams = gatewayYamlTree(objects).path("upstreams");
        assertThat(upstreams).hasSize(1);
        final URI upstream = URI.create(upstreams.get(0).path("url").asText());
        assertThat(upstream.getHost()).isIn(LOOPBACK);

        // The app listens where the upstream url points, and on the loopback only.
        final Container functions = workload.container("functions").orElseThrow();
        final URI listens = URI.create(functions.getEnv().stream().filter(e -> "ASPNETCORE_URLS".equals(e.getName()))
                .map(EnvVar::getValue).findFirst().orElseThrow());
        assertThat(listens.getHost()).isIn(LOOPBACK);
        assertThat(listens.getPort() == -1 ? 80 : listens.getPort())
                .isEqualTo(upstream.getPort() == -1 ? 80 : upstream.getPort());
        assertThat(functions.getPorts()).as("ports declared by the app").isNullOrEmpty();

        // The pod's Service and its NetworkPolicy lead to the gateway's ports only.
        final Container gateway = workload.container(GATEWAY_CONTAINER).orElseThrow();
        final Map<String, String> podLabels = workload.template().getMetadata().getLabels();
        final List<Service> services = Manifests.all(objects, Service.class).stream()
                .filter(s -> s.getSpec().getSelector() != null
                        && podLabels.entrySet().containsAll(s.getSpec().getSelector().entrySet())).toList();
        assertThat(services).hasSize(1);
        // By number: Kubernetes before 1.32 does not resolve a native sidecar's port names for a Service.
        assertThat(services.get(0).getSpec().getPorts()).map(ServicePort::getTargetPort).map(IntOrString::getIntVal)
                .containsExactly(containerPort(gateway, "http"));
        final NetworkPolicy policy = Manifests.all(objects, NetworkPolicy.class).stream()
                .filter(p -> podLabels.entrySet().containsAll(p.getSpec().getPodSelector().getMatchLabels().entrySet()))
                .findFirst().orElseThrow();
        assertThat(policy.getSpec().getPolicyTypes()).contains("Ingress");
        assertThat(policy.getSpec().getIngress()).flatMap(r -> r.getPorts()).map(NetworkPolicyPort::getPort)
                .map(p -> port(gateway, p))
                .containsExactlyInAnyOrder(containerPort(gateway, "http"), containerPort(gateway, "admin"));
    }

    // ---- Metrics ----

    @ParameterizedTest
    @MethodSource("overlays")
    void prometheusScrapesMetricsOnTheAdminPort(String overlay) throws IOException {
        final List<HasMetadata> objects = Manifests.objects(overlay);
        final Map<String, String> annotations = Manifests.gatewayWorkload(objects).annotations();
        final JsonNode admin = gatewayYamlTree(objects).path("admin");
        assertThat(annotations).containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/path", "/metrics")
                .containsEntry("prometheus.io/port", admin.path("port").asText());
        assertThat(annotations.getOrDefault("prometheus.io/scheme", "http")).as("prometheus.io/scheme")
                .isEqualTo(admin.has("tls") ? "https" : "http");
    }

    /** The optional PodMonitor scrapes /metrics on the port the gateway's container names admin. */
    @Test
    void podMonitorScrapesTheAdminPort() throws IOException {
        final Map<String, Object> monitor = YamlDocuments.parseObjects(Files.readString(
                kubernetesDirectory().resolve("monitoring/podmonitor.yaml")), "podmonitor.yaml").get(0);
        assertThat(KubernetesModel.read(monitor)).isInstanceOf(GenericKubernetesResource.class);
        assertThat(monitor).containsEntry("apiVersion", "monitoring.coreos.com/v1").containsEntry("kind", "PodMonitor");
        final Map<?, ?> spec = (Map<?, ?>) monitor.get("spec");
        assertThat(spec.keySet()).isEqualTo(Set.of("selector", "podMetricsEndpoints"));
        final Map<?, ?> matchLabels = (Map<?, ?>) ((Map<?, ?>) spec.get("selector")).get("matchLabels");
        assertThat((List<?>) spec.get("podMetricsEndpoints")).singleElement().satisfies(endpoint -> {
            assertThat(((Map<?, ?>) endpoint).get("port")).isEqualTo("admin");
            assertThat(((Map<?, ?>) endpoint).get("path")).isEqualTo("/metrics");
        });
        for (String overlay : Manifests.OVERLAYS) {
            final Workload workload = Manifests.gatewayWorkload(Manifests.objects(overlay));
            assertThat(workload.template().getMetadata().getLabels().entrySet()).as(overlay)
                    .containsAll(new LinkedHashMap<String, String>(castStrings(matchLabels)).entrySet());
        }
    }

    /**
     * The PodMonitor for the admin-tls overlay scrapes the same pods and path as podmonitor.yaml, over HTTPS,
     * verifying the admin certificate against the CA in the Secret the pods mount it from, for a fixed name.
     */
    @Test
    void adminTlsPodMonitorScrapesHttpsVerifyingTheAdminCertificate() throws IOException {
        final Map<String, Object> plain = YamlDocuments.parseObjects(Files.readString(
                kubernetesDirectory().resolve("monitoring/podmonitor.yaml")), "podmonitor.yaml").get(0);
        final Map<String, Object> monitor = YamlDocuments.parseObjects(Files.readString(
                kubernetesDirectory().resolve("monitoring/podmonitor-admin-tls.yaml")), "podmonitor-admin-tls.yaml")
                .get(0);
        assertThat(KubernetesModel.read(monitor)).isInstanceOf(GenericKubernetesResource.class);
        assertThat(monitor.get("metadata")).as("the same PodMonitor, so that one replaces the other")
                .isEqualTo(plain.get("metadata"));
        final Map<?, ?> spec = (Map<?, ?>) monitor.get("spec");
        assertThat(spec.get("selector")).isEqualTo(((Map<?, ?>) plain.get("spec")).get("selector"));
        final Map<?, ?> endpoint = (Map<?, ?>) ((List<?>) spec.get("podMetricsEndpoints")).get(0);
        final Map<?, ?> plainEndpoint = (Map<?, ?>) ((List<?>) ((Map<?, ?>) plain.get("spec"))
                .get("podMetricsEndpoints")).get(0);
        assertThat(endpoint.get("port")).isEqualTo(plainEndpoint.get("port"));
        assertThat(endpoint.get("path")).isEqualTo(plainEndpoint.get("path"));
        assertThat(endpoint.get("interval")).isEqualTo(plainEndpoint.get("interval"));
        assertThat(endpoint.get("scheme")).isEqualTo("https");
        final Map<?, ?> tls = (Map<?, ?>) endpoint.get("tlsConfig");
        assertThat(tls.keySet()).as("tlsConfig: no insecureSkipVerify").isEqualTo(Set.of("ca", "serverName"));
        assertThat((String) tls.get("serverName")).isNotBlank();
        final Map<?, ?> caSecret = (Map<?, ?>) ((Map<?, ?>) tls.get("ca")).get("secret");
        assertThat(caSecret.get("key")).isEqualTo("ca.crt");

        // That Secret is the one the admin-tls pods mount their certificate from.
        final List<HasMetadata> objects = Manifests.objects("admin-tls");
        final Workload workload = Manifests.gatewayWorkload(objects);
        final Path certificate = Path.of(gatewayYamlTree(objects).path("admin").path("tls").path("certificate")
                .asText());
        assertThat(mountedVolume(workload, certificate).getSecret().getSecretName()).isEqualTo(caSecret.get("name"));
    }

    /**
     * Where gateway.yaml has admin.tls, its files are in read-only mounts of the gateway's container: the
     * certificate and key of a Secret (tls.crt and tls.key, a kubernetes.io/tls Secret's keys, as cert-manager
     * writes them), the client CA of a ConfigMap or Secret; none is committed.
     */
    @Test
    void adminTlsFilesAreMountedFromASecretAndAConfigMap() throws IOException {
        final List<String> withTls = new ArrayList<>();
        for (String overlay : Manifests.OVERLAYS) {
            final List<HasMetadata> objects = Manifests.objects(overlay);
            final JsonNode tls = gatewayYamlTree(objects).path("admin").path("tls");
            if (tls.isMissingNode()) {
                continue;
            }
            withTls.add(overlay);
            final Workload workload = Manifests.gatewayWorkload(objects);
            final Path certificate = Path.of(tls.path("certificate").asText());
            final Path key = Path.of(tls.path("privateKey").asText());
            assertThat(certificate.getFileName().toString()).isEqualTo("tls.crt");
            assertThat(key.getFileName().toString()).isEqualTo("tls.key");
            assertThat(mountedVolume(workload, key).getSecret()).as(overlay + ": the key's volume is a Secret")
                    .isNotNull();
            assertThat(mountedVolume(workload, certificate).getName()).isEqualTo(mountedVolume(workload, key).getName());
            if (tls.has("clientCa")) {
                final Volume ca = mountedVolume(workload, Path.of(tls.path("clientCa").asText()));
                assertThat(ca.getConfigMap() != null || ca.getSecret() != null).as(overlay + ": clientCa's volume")
                        .isTrue();
            }
            for (String object : List.of(mountedVolume(workload, key).getSecret().getSecretName())) {
                assertThat(objects).as(overlay + ": " + object + " is created out of band")
                        .noneMatch(o -> object.equals(o.getMetadata().getName()) && o instanceof Secret);
            }
        }
        assertThat(withTls).containsExactly("admin-tls");
    }

    /** The volume mounted (read-only) at the folder of {@code file} in the gateway's container. */
    private static Volume mountedVolume(Workload workload, Path file) {
        final Container gateway = workload.container(GATEWAY_CONTAINER).orElseThrow();
        final VolumeMount mount = gateway.getVolumeMounts().stream()
                .filter(m -> file.getParent().toString().equals(m.getMountPath())).findFirst()
                .orElseThrow(() -> new AssertionError(file + " is in no folder the gateway's container mounts"));
        assertThat(mount.getReadOnly()).as(mount.getName() + " read-only").isTrue();
        assertThat(mount.getSubPath()).as("a subPath mount is never updated").isNull();
        return workload.template().getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                .findFirst().orElseThrow();
    }

    /** The admin-tls overlay is the standalone one with admin TLS: its gateway.yaml differs only by admin.tls. */
    @Test
    void adminTlsGatewayYamlIsTheStandaloneOneWithAdminTls() throws IOException {
        final JsonNode standalone = YAML.readTree(Manifests.gatewayYaml("standalone"));
        final JsonNode adminTls = YAML.readTree(Manifests.gatewayYaml("admin-tls"));
        assertThat(adminTls.path("admin").has("tls")).isTrue();
        ((ObjectNode) adminTls.path("admin")).remove("tls");
        assertThat(adminTls).isEqualTo(standalone);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> castStrings(Map<?, ?> map) {
        return (Map<String, String>) map;
    }

    // ---- The etcd store ----

    /**
     * The etcd StatefulSet has three members whose client URLs, as their flags and the headless Service
     * make them, are exactly the endpoints the overlay's gateway.yaml names, with the flags SPEC §10's bulk
     * writes need.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void etcdMembersAreTheEndpointsOfGatewayYaml(String overlay) throws IOException {
        final List<HasMetadata> objects = Manifests.objects(overlay);
        final JsonNode etcdConfig = gatewayYamlTree(objects).path("sharedPrivateEndpoints").path("etcd");
        final Set<String> endpoints = new TreeSet<>();
        etcdConfig.path("endpoints").forEach(e -> endpoints.add(e.asText()));
        assertThat(etcdMembersClientUrls(objects)).isEqualTo(endpoints);
        assertThat(etcdConfig.path("prefix").asText()).isEqualTo("/private-upstream/");
        assertThat(etcdConfig.path("replicaId").asText()).isEqualTo("${HOSTNAME}");
    }

    @Test
    void etcdIsUsableByItself() {
        final List<HasMetadata> objects = Manifests.objects(kubernetesDirectory().resolve(ETCD));
        assertThat(etcdMembersClientUrls(objects)).containsExactly("http://etcd-0.etcd:2379",
                "http://etcd-1.etcd:2379", "http://etcd-2.etcd:2379");
        final PodDisruptionBudget budget = Manifests.only(objects, PodDisruptionBudget.class, ETCD);
        assertThat(budget.getSpec().getMinAvailable().getIntVal()).isEqualTo(2);
        final NetworkPolicy policy = Manifests.only(objects, NetworkPolicy.class, ETCD);
        final Workload gateway = Manifests.gatewayWorkload(Manifests.objects("standalone"));
        // The policy admits the gateway's pods to the client port.
        assertThat(policy.getSpec().getIngress()).anySatisfy(rule -> {
            assertThat(rule.getPorts()).map(p -> p.getPort().getIntVal()).containsExactly(2379);
            assertThat(rule.getFrom()).anySatisfy(peer -> assertThat(gateway.template().getMetadata().getLabels()
                    .entrySet()).containsAll(peer.getPodSelector().getMatchLabels().entrySet()));
        });
    }

    /** The client URLs of the etcd members, computed from the StatefulSet's flags and its headless Service. */
    private static Set<String> etcdMembersClientUrls(List<HasMetadata> objects) {
        final StatefulSet etcd = Manifests.only(objects, StatefulSet.class, ETCD);
        final int replicas = etcd.getSpec().getReplicas();
        assertThat(replicas).isEqualTo(3);
        assertThat(etcd.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
        final String serviceName = etcd.getSpec().getServiceName();
        final Service headless = Manifests.only(objects, Service.class, serviceName);
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
        assertThat(etcd.getSpec().getTemplate().getMetadata().getLabels().entrySet())
                .containsAll(headless.getSpec().getSelector().entrySet());
        final Container member = etcd.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(member.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("POD_NAME");
            assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        });
        final Map<String, String> flags = flags(member);
        assertThat(flags).containsEntry("max-txn-ops", "10000").containsEntry("max-request-bytes", "10485760")
                .containsEntry("initial-cluster-state", "new");
        final int clientPort = servicePort(headless, "client");
        final int peerPort = servicePort(headless, "peer");
        assertThat(URI.create(flags.get("listen-client-urls")).getPort()).isEqualTo(clientPort);
        assertThat(URI.create(flags.get("listen-peer-urls")).getPort()).isEqualTo(peerPort);

        final Set<String> clientUrls = new TreeSet<>();
        final List<String> peers = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            final String pod = etcd.getMetadata().getName() + "-" + i;
            final String memberName = flags.get("name").replace("$(POD_NAME)", pod);
            final String peerUrl = flags.get("initial-advertise-peer-urls").replace("$(POD_NAME)", pod);
            assertThat(peerUrl).isEqualTo("http://" + pod + "." + serviceName + ":" + peerPort);
            peers.add(memberName + "=" + peerUrl);
            clientUrls.add(flags.get("advertise-client-urls").replace("$(POD_NAME)", pod));
        }
        assertThat(flags.get("initial-cluster")).isEqualTo(String.join(",", peers));
        assertThat(clientUrls).allSatisfy(url -> assertThat(URI.create(url).getPort()).isEqualTo(clientPort));
        return clientUrls;
    }

    /** etcd's {@code --flag=value} and {@code --flag value} arguments, by flag name. */
    private static Map<String, String> flags(Container container) {
        final List<String> args = new ArrayList<>();
        if (container.getCommand() != null) {
            args.addAll(container.getCommand());
        }
        if (container.getArgs() != null) {
            args.addAll(container.getArgs());
        }
        final Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            final String arg = args.get(i);
            if (!arg.startsWith("--")) {
                continue;
            }
            final int eq = arg.indexOf('=');
            if (eq > 0) {
                flags.put(arg.substring(2, eq), arg.substring(eq + 1));
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                flags.put(arg.substring(2), args.get(++i));
            } else {
                flags.put(arg.substring(2), "true");
            }
        }
        return flags;
    }

    private static int servicePort(Service service, String name) {
        return service.getSpec().getPorts().stream().filter(p -> name.equals(p.getName()))
                .map(ServicePort::getPort).findFirst().orElseThrow();
    }

    // ---- Helpers ----

    /** A gateway.yaml duration such as 30s, 1m30s or 500ms (SPEC §4). */
    static Duration duration(JsonNode node) {
        final String text = node.asText();
        final Matcher part = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text);
        Duration total = Duration.ZERO;
        int end = 0;
        while (part.find() && part.start() == end) {
            final long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofHours(amount);
            });
            end = part.end();
        }
        assertThat(end).as("duration '" + text + "'").isEqualTo(text.length()).isPositive();
        return total;
    }

    /** kubectl, when one with kustomize v5 is on the PATH. */
    static final class Kubectl {
        private static Path found;
        private static boolean looked;

        private Kubectl() {
        }

        static synchronized Path withKustomizeV5() throws IOException, InterruptedException {
            if (!looked) {
                looked = true;
                for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                    final Path candidate = Path.of(dir.isEmpty() ? "." : dir, "kubectl");
                    if (Files.isExecutable(candidate)) {
                        final Matcher version = Pattern.compile("Kustomize Version: v(\\d+)\\.")
                                .matcher(run(candidate, "version", "--client"));
                        if (version.find() && Integer.parseInt(version.group(1)) >= 5) {
                            found = candidate;
                        }
                        break;
                    }
                }
            }
            return found;
        }

        static String kustomize(Path kubectl, Path dir) throws IOException, InterruptedException {
            return run(kubectl, "kustomize", dir.toString());
        }

        private static String run(Path kubectl, String... args) throws IOException, InterruptedException {
            final List<String> command = new ArrayList<>();
            command.add(kubectl.toString());
            command.addAll(List.of(args));
            // Standard error apart: kustomize writes its warnings there, never into the YAML.
            final Path errors = Files.createTempFile("kubectl", ".err");
            try {
                final Process process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
                final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(command + " did not finish");
                }
                if (process.exitValue() != 0) {
                    throw new IOException(command + " exited " + process.exitValue() + ": "
                            + Files.readString(errors));
                }
                return output;
            } finally {
                Files.delete(errors);
            }
        }
    }
}
