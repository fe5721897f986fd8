package dev.privateupstream.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Kubernetes' strategic merge patch on a YAML tree, for the part of it that deploy/ may use: mappings merge
 * key by key, a {@code null} removes a key, and the lists Kubernetes merges by a key (containers, env,
 * volumes, ...) merge element by element, in kustomize's (kyaml's) order: the patch's elements first, in its
 * order, each merged into the target's of the same key, then the target's other elements. Every other list is
 * replaced. Patch directives ({@code $patch}, {@code $setElementOrder}, ...) are refused rather than
 * misread.
 */
final class StrategicMergePatch {
    /** Lists merged by a key in the Kubernetes API (its {@code patchMergeKey}); others are replaced. */
    private static final Map<String, String> MERGE_KEYS = Map.of(
            "containers", "name",
            "initContainers", "name",
            "ephemeralContainers", "name",
            "env", "name",
            "volumes", "name",
            "imagePullSecrets", "name",
            "volumeMounts", "mountPath",
            "topologySpreadConstraints", "topologyKey");

    private StrategicMergePatch() {
    }

    /** Merges {@code patch} into {@code target} in place. */
    static void apply(Map<String, Object> target, Map<String, Object> patch, String where) {
        for (Map.Entry<String, Object> entry : patch.entrySet()) {
            final String key = entry.getKey();
            final Object value = entry.getValue();
            final String path = where + "." + key;
            if (key.startsWith("$")) {
                throw new IllegalArgumentException(path + ": patch directives are not supported");
            }
            if (value == null) {
                target.remove(key);
            } else if (value instanceof Map<?, ?> && target.get(key) instanceof Map<?, ?>) {
                apply(YamlDocuments.asMap(target.get(key), path), YamlDocuments.asMap(value, path), path);
            } else if (value instanceof List<?> list && target.get(key) instanceof List<?> existing
                    && mergeKey(key, list) != null) {
                mergeList(YamlDocuments.asList(existing, path), YamlDocuments.asList(list, path), mergeKey(key, list),
                        path);
            } else {
                target.put(key, YamlDocuments.deepCopy(value));
            }
        }
    }

    /** The key the list named {@code field} merges by, or {@code null} when it is replaced. */
    private static String mergeKey(String field, List<?> elements) {
        if ("ports".equals(field)) {
            // A container's ports merge by containerPort, a Service's by port.
            return elements.stream().allMatch(e -> e instanceof Map<?, ?> m && m.containsKey("containerPort"))
                    ? "containerPort" : "port";
        }
        return MERGE_KEYS.get(field);
    }

    private static void mergeList(List<Object> target, List<Object> patch, String mergeKey, String where) {
        final List<Object> merged = new ArrayList<>();
        for (Object element : patch) {
            final Map<String, Object> patchElement = YamlDocuments.asMap(element, where + "[]");
            final Object id = patchElement.get(mergeKey);
            if (id == null) {
                throw new IllegalArgumentException(where + "[]: no merge key '" + mergeKey + "'");
            }
            final Map<String, Object> match = target.stream()
                    .filter(e -> e instanceof Map<?, ?> m && Objects.equals(m.get(mergeKey), id))
                    .map(e -> YamlDocuments.asMap(e, where))
                    .findFirst().orElse(null);
            if (match == null) {
                merged.add(YamlDocuments.deepCopy(patchElement));
            } else {
                apply(match, patchElement, where + "[" + mergeKey + "=" + id + "]");
                merged.add(match);
            }
        }
        for (Object element : target) {
            if (merged.stream().noneMatch(m -> m == element)) {
                merged.add(element);
            }
        }
        target.clear();
        target.addAll(merged);
    }
}
