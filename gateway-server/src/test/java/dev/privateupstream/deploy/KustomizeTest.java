package dev.privateupstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The renderer's own rules, on small kustomizations: what it does, and what it refuses. */
class KustomizeTest {
    @TempDir
    Path dir;

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: app
            spec:
              template:
                spec:
                  containers:
                    - name: app
                      image: example/app:1
                      env:
                        - {name: A, value: "1"}
                    - name: helper
                      image: example/helper
                  tolerations:
                    - {key: a}
            """;

    private Path write(String name, String text) throws Exception {
        final Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Object node, Object... path) {
        Object current = node;
        for (Object step : path) {
            current = step instanceof Integer i ? ((List<?>) current).get(i) : ((Map<?, ?>) current).get(step);
        }
        return (T) current;
    }

    @Test
    void strategicMergeMergesNamedListsAndReplacesOthers() throws Exception {
        write("base/deployment.yaml", DEPLOYMENT);
        write("base/kustomization.yaml", "resources: [deployment.yaml]\n");
        write("overlay/patch.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app
                spec:
                  replicas: 2
                  template:
                    spec:
                      containers:
                        - name: app
                          env:
                            - {name: B, value: "2"}
                        - name: extra
                          image: example/extra
                      tolerations:
                        - {key: b}
                """);
        write("overlay/kustomization.yaml", """
                resources: [../base]
                patches:
                  - path: patch.yaml
                images:
                  - {name: example/app, newName: registry.example/app, newTag: "2"}
                """);
        final Map<String, Object> deployment = Kustomize.build(dir.resolve("overlay")).get(0);
        assertThat((Object) at(deployment, "spec", "replicas")).isEqualTo(2);
        final List<Map<String, Object>> containers = at(deployment, "spec", "template", "spec", "containers");
        // kustomize's order: the patch's elements first, then the others (what kubectl kustomize prints).
        assertThat(containers).map(c -> c.get("name")).containsExactly("app", "extra", "helper");
        assertThat((List<Map<String, Object>>) at(containers, 0, "env")).map(e -> e.get("name"))
                .containsExactly("B", "A");
        assertThat((Object) at(containers, 0, "image")).isEqualTo("registry.example/app:2");
        assertThat((Object) at(deployment, "spec", "template", "spec", "tolerations"))
                .isEqualTo(List.of(Map.of("key", "b")));
        // The base's own render is not changed by the overlay's patch.
        assertThat((Object) at(Kustomize.build(dir.resolve("base")).get(0), "spec", "replicas")).isNull();
    }

    @Test
    void jsonPatchMovesAddsAndReplacesInOrder() throws Exception {
        write("deployment.yaml", DEPLOYMENT);
        write("ops.yaml", """
                - {op: replace, path: /metadata/name, value: renamed}
                - {op: add, path: /spec/template/spec/initContainers, value: []}
                - {op: move, from: /spec/template/spec/containers/1, path: /spec/template/spec/initContainers/0}
                - {op: add, path: /spec/template/spec/initContainers/0/restartPolicy, value: Always}
                - {op: add, path: /metadata/labels, value: {}}
                - {op: add, path: /metadata/labels/app.kubernetes.io~1name, value: x}
                - {op: test, path: /spec/template/spec/containers/0/name, value: app}
                - {op: remove, path: /spec/template/spec/tolerations}
                """);
        write("kustomization.yaml", """
                resources: [deployment.yaml]
                patches:
                  - path: ops.yaml
                    target: {kind: Deployment, name: app}
                """);
        final Map<String, Object> deployment = Kustomize.build(dir).get(0);
        assertThat((Object) at(deployment, "metadata", "name")).isEqualTo("renamed");
        assertThat((Object) at(deployment, "metadata", "labels")).isEqualTo(Map.of("app.kubernetes.io/name", "x"));
        assertThat((List<?>) at(deployment, "spec", "template", "spec", "containers")).hasSize(1);
        assertThat((Object) at(deployment, "spec", "template", "spec", "initContainers", 0))
                .isEqualTo(Map.of("name", "helper", "image", "example/helper", "restartPolicy", "Always"));
        assertThat(((Map<?, ?>) at(deployment, "spec", "template", "spec")).containsKey("tolerations")).isFalse();
    }

    @Test
    void configMapGeneratorReadsFilesWithoutAHashSuffix() throws Exception {
        write("gateway.yaml", "listen:\n  port: 8080\n");
        write("kustomization.yaml", """
                configMapGenerator:
                  - name: config
                    files: [gateway.yaml, other.yaml=gateway.yaml]
                    options: {disableNameSuffixHash: true}
                """);
        assertThat(Kustomize.build(dir)).containsExactly(Map.of("apiVersion", "v1", "kind", "ConfigMap",
                "metadata", Map.of("name", "config"),
                "data", Map.of("gateway.yaml", "listen:\n  port: 8080\n", "other.yaml", "listen:\n  port: 8080\n")));
    }

    @Test
    void configMapGeneratorReplacesTheConfigMapOfABase() throws Exception {
        write("base/gateway.yaml", "listen:\n  port: 8080\n");
        write("base/kustomization.yaml", """
                configMapGenerator:
                  - name: config
                    files: [gateway.yaml]
                    options: {disableNameSuffixHash: true}
                """);
        write("overlay/gateway.yaml", "listen:\n  port: 8443\n");
        write("overlay/kustomization.yaml", """
                resources: [../base]
                configMapGenerator:
                  - name: config
                    behavior: replace
                    files: [gateway.yaml]
                    options: {disableNameSuffixHash: true}
                """);
        assertThat(Kustomize.build(dir.resolve("overlay"))).containsExactly(Map.of("apiVersion", "v1",
                "kind", "ConfigMap", "metadata", Map.of("name", "config"),
                "data", Map.of("gateway.yaml", "listen:\n  port: 8443\n")));

        write("overlay/kustomization.yaml", """
                resources: [../base]
                configMapGenerator:
                  - name: other
                    behavior: replace
                    files: [gateway.yaml]
                    options: {disableNameSuffixHash: true}
                """);
        assertThatThrownBy(() -> Kustomize.build(dir.resolve("overlay")))
                .hasMessageContaining("no resource is a ConfigMap other");
        write("overlay/kustomization.yaml", """
                resources: [../base]
                configMapGenerator:
                  - name: config
                    behavior: merge
                    files: [gateway.yaml]
                    options: {disableNameSuffixHash: true}
                """);
        assertThatThrownBy(() -> Kustomize.build(dir.resolve("overlay"))).hasMessageContaining("behavior merge");
    }

    @Test
    void refusesWhatItDoesNotRender() throws Exception {
        write("deployment.yaml", DEPLOYMENT);
        write("kustomization.yaml", "resources: [deployment.yaml]\nnamePrefix: x-\n");
        assertThatThrownBy(() -> Kustomize.build(dir)).hasMessageContaining("'namePrefix' is not supported");

        write("kustomization.yaml", "configMapGenerator:\n  - name: c\n    literals: [a=b]\n");
        assertThatThrownBy(() -> Kustomize.build(dir)).hasMessageContaining("disableNameSuffixHash");

        write("patch.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n"
                + "  template:\n    spec:\n      containers:\n        - name: app\n          $patch: delete\n");
        write("kustomization.yaml", "resources: [deployment.yaml]\npatches:\n  - path: patch.yaml\n");
        assertThatThrownBy(() -> Kustomize.build(dir)).hasMessageContaining("patch directives are not supported");

        write("patch.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\n");
        assertThatThrownBy(() -> Kustomize.build(dir)).hasMessageContaining("no resource matches");

        write("ops.yaml", "- {op: remove, path: /spec/nothing}\n");
        write("kustomization.yaml", "resources: [deployment.yaml]\npatches:\n  - path: ops.yaml\n"
                + "    target: {kind: Deployment}\n");
        assertThatThrownBy(() -> Kustomize.build(dir)).hasMessageContaining("no member 'nothing'");
    }
}
