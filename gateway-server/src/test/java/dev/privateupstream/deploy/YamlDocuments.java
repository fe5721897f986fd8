package dev.privateupstream.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Kubernetes manifests as plain trees ({@code Map}, {@code List}, scalars), read with SnakeYAML's YAML 1.1
 * rules as Kubernetes' own decoder reads them (so an unquoted {@code yes} is a boolean in both).
 */
final class YamlDocuments {
    private YamlDocuments() {
    }

    /** Every non-empty document of a multi-document YAML text, in order. */
    static List<Object> parseAll(String text) {
        final List<Object> documents = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text)) {
            if (document != null) {
                documents.add(document);
            }
        }
        return documents;
    }

    /** The documents of {@code text}, each of which must be a mapping (one Kubernetes object). */
    static List<Map<String, Object>> parseObjects(String text, String origin) {
        final List<Map<String, Object>> objects = new ArrayList<>();
        for (Object document : parseAll(text)) {
            objects.add(asMap(document, origin));
        }
        return objects;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object node, String what) {
        if (!(node instanceof Map)) {
            throw new IllegalArgumentException(what + ": not a mapping: " + node);
        }
        return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    static List<Object> asList(Object node, String what) {
        if (!(node instanceof List)) {
            throw new IllegalArgumentException(what + ": not a list: " + node);
        }
        return (List<Object>) node;
    }

    /** A deep, mutable copy, so that patches never change what another kustomization shares. */
    static Object deepCopy(Object node) {
        if (node instanceof Map<?, ?> map) {
            final Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((key, value) -> copy.put((String) key, deepCopy(value)));
            return copy;
        }
        if (node instanceof List<?> list) {
            final List<Object> copy = new ArrayList<>(list.size());
            list.forEach(value -> copy.add(deepCopy(value)));
            return copy;
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> deepCopy(Map<String, Object> map) {
        return (Map<String, Object>) deepCopy((Object) map);
    }
}
