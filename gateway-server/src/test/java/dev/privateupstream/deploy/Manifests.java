package dev.privateupstream.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The Kubernetes manifests under {@code deploy/kubernetes} (SPEC §11), rendered and typed for tests.
 *
 * <p>For tests that run the gateway with the configuration an overlay ships (against a real etcd, say),
 * {@link #gatewayYaml(String)} returns the {@code gateway.yaml} of that overlay's ConfigMap exactly as a pod
 * would read it.
 */
public final class Manifests {
    /** The overlays under {@code deploy/kubernetes/overlays}; admin-tls is standalone with admin TLS. */
    public static final List<String> OVERLAYS = List.of("standalone", "sidecar", "admin-tls");
    /** The ConfigMap that holds gateway.yaml, and its key (the file's name in the mounted folder). */
    public static final String CONFIG_MAP = "gateway-config";
    public static final String CONFIG_KEY = "gateway.yaml";
    /** The name of the gateway's container in every pod that runs it. */
    public static final String GATEWAY_CONTAINER = "gateway";

    private Manifests() {
    }

    /** The project's {@code deploy} folder, found from the working directory (a module's or the root). */
    public static Path deployDirectory() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/kubernetes"))) {
                return dir.resolve("deploy");
            }
        }
        throw new IllegalStateException("no deploy/kubernetes above " + Path.of("").toAbsolutePath());
    }

    public static Path overlayDirectory(String overlay) {
        if (!OVERLAYS.contains(overlay)) {
            throw new IllegalArgumentException("overlay: " + overlay + " (expected: one of " + OVERLAYS + ")");
        }
        return deployDirectory().resolve("kubernetes/overlays").resolve(overlay);
    }

    /** Every object an overlay renders to, read strictly into fabric8's typed model. */
    public static List<HasMetadata> objects(String overlay) {
        return objects(overlayDirectory(overlay));
    }

    /** Every object a kustomization folder renders to, read strictly into fabric8's typed model. */
    public static List<HasMetadata> objects(Path kustomizationDirectory) {
        return Kustomize.build(kustomizationDirectory).stream().map(KubernetesModel::read).toList();
    }

    /** The {@code gateway.yaml} text of the overlay's ConfigMap, as mounted at /etc/gateway in its pods. */
    public static String gatewayYaml(String overlay) {
        return gatewayYaml(objects(overlay));
    }

    static String gatewayYaml(List<HasMetadata> objects) {
        final String text = only(objects, ConfigMap.class, CONFIG_MAP).getData().get(CONFIG_KEY);
        if (text == null) {
            throw new IllegalStateException("ConfigMap " + CONFIG_MAP + " has no key " + CONFIG_KEY);
        }
        return text;
    }

    /** The one object of that type and name. */
    static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type, String name) {
        final List<T> found = objects.stream().filter(type::isInstance).map(type::cast)
                .filter(o -> name.equals(o.getMetadata().getName())).toList();
        if (found.size() != 1) {
            throw new IllegalStateException(found.size() + " " + type.getSimpleName() + " named " + name);
        }
        return found.get(0);
    }

    static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The pod templates of the workloads among {@code objects}, by workload. */
    static List<Workload> workloads(List<HasMetadata> objects) {
        final List<Workload> workloads = new ArrayList<>();
        for (HasMetadata object : objects) {
            podTemplate(object).ifPresent(template -> workloads.add(new Workload(object, template)));
        }
        return workloads;
    }

    /** The one workload whose pod runs the gateway. */
    static Workload gatewayWorkload(List<HasMetadata> objects) {
        final List<Workload> found = workloads(objects).stream().filter(w -> w.container(GATEWAY_CONTAINER)
                .isPresent()).toList();
        if (found.size() != 1) {
            throw new IllegalStateException(found.size() + " workloads run a container named " + GATEWAY_CONTAINER);
        }
        return found.get(0);
    }

    private static Optional<PodTemplateSpec> podTemplate(HasMetadata object) {
        if (object instanceof Deployment deployment) {
            return Optional.of(deployment.getSpec().getTemplate());
        }
        if (object instanceof StatefulSet statefulSet) {
            return Optional.of(statefulSet.getSpec().getTemplate());
        }
        if (object instanceof DaemonSet daemonSet) {
            return Optional.of(daemonSet.getSpec().getTemplate());
        }
        return Optional.empty();
    }

    /** A workload and its pod template. */
    record Workload(HasMetadata object, PodTemplateSpec template) {
        String name() {
            return object.getKind() + "/" + object.getMetadata().getName();
        }

        List<Container> initContainers() {
            return template.getSpec().getInitContainers() == null ? List.of()
                    : template.getSpec().getInitContainers();
        }

        List<Container> containers() {
            return template.getSpec().getContainers();
        }

        /** Init containers first, in the order the kubelet starts them. */
        List<Container> allContainers() {
            return Stream.concat(initContainers().stream(), containers().stream()).toList();
        }

        Optional<Container> container(String name) {
            return allContainers().stream().filter(c -> name.equals(c.getName())).findFirst();
        }

        Map<String, String> annotations() {
            return template.getMetadata().getAnnotations() == null ? Map.of()
                    : template.getMetadata().getAnnotations();
        }
    }
}
