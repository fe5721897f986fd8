package dev.privateupstream.deploy;

import static dev.privateupstream.deploy.YamlDocuments.asList;
import static dev.privateupstream.deploy.YamlDocuments.asMap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Renders a kustomization as {@code kubectl kustomize DIR} does, for the features deploy/ uses, so the
 * manifests' tests need no kubectl: {@code resources} (files and folders with their own kustomization),
 * {@code configMapGenerator} from files without a hash suffix (a new ConfigMap, or with {@code behavior:
 * replace} in place of one a resource made), {@code patches} from files (a strategic merge
 * patch that names its target, or an RFC 6902 list of operations with a {@code target}) and {@code images}.
 * Anything else in a kustomization is refused, never ignored: a render that silently differed from
 * kustomize's would test the wrong thing. {@code ManifestsTest} compares the result with kubectl's wherever
 * a kubectl with kustomize v5 is on the PATH.
 */
final class Kustomize {
    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "resources", "configMapGenerator",
            "patches", "images");

    private Kustomize() {
    }

    /** The objects {@code kubectl kustomize dir} prints, in the order of the kustomization's resources. */
    static List<Map<String, Object>> build(Path dir) {
        final Path file = dir.resolve("kustomization.yaml");
        final Map<String, Object> kustomization = asMap(YamlDocuments.parseAll(read(file)).get(0), file.toString());
        for (String key : kustomization.keySet()) {
            if (!SUPPORTED.contains(key)) {
                throw new IllegalArgumentException(file + ": '" + key + "' is not supported by this renderer");
            }
        }
        final List<Map<String, Object>> objects = new ArrayList<>();
        for (Object entry : list(kustomization, "resources", file)) {
            final Path resource = dir.resolve((String) entry).normalize();
            if (Files.isDirectory(resource)) {
                objects.addAll(build(resource));
            } else {
                objects.addAll(YamlDocuments.parseObjects(read(resource), resource.toString()));
            }
        }
        for (Object entry : list(kustomization, "configMapGenerator", file)) {
            final Map<String, Object> generator = asMap(entry, file + ": configMapGenerator");
            final Map<String, Object> configMap = configMap(generator, dir);
            if ("replace".equals(generator.get("behavior"))) {
                replace(objects, configMap, file);
            } else {
                objects.add(configMap);
            }
        }
        checkUnique(objects, file);
        for (Object entry : list(kustomization, "patches", file)) {
            patch(objects, asMap(entry, file + ": patches"), dir);
        }
        for (Object entry : list(kustomization, "images", file)) {
            setImage(objects, asMap(entry, file + ": images"));
        }
        return objects;
    }

    /** Every file a kustomization reads, its own included, through its folders' kustomizations too. */
    static Set<Path> files(Path dir) {
        final Path file = dir.resolve("kustomization.yaml");
        final Map<String, Object> kustomization = asMap(YamlDocuments.parseAll(read(file)).get(0), file.toString());
        final Set<Path> files = new LinkedHashSet<>();
        files.add(file.normalize());
        for (Object entry : list(kustomization, "resources", file)) {
            final Path resource = dir.resolve((String) entry).normalize();
            if (Files.isDirectory(resource)) {
                files.addAll(files(resource));
            } else {
                files.add(resource);
            }
        }
        for (Object entry : list(kustomization, "configMapGenerator", file)) {
            for (Object source : list(asMap(entry, file.toString()), "files", file)) {
                files.add(dir.resolve(fileSource((String) source)[1]).normalize());
            }
        }
        for (Object entry : list(kustomization, "patches", file)) {
            files.add(dir.resolve((String) asMap(entry, file.toString()).get("path")).normalize());
        }
        return files;
    }

    private static Map<String, Object> configMap(Map<String, Object> generator, Path dir) {
        final String name = (String) generator.get("name");
        final Set<String> keys = new LinkedHashSet<>(generator.keySet());
        keys.removeAll(Set.of("name", "files", "options", "behavior"));
        final Object options = generator.get("options");
        if (!keys.isEmpty() || !Objects.equals(options, Map.of("disableNameSuffixHash", true))) {
            throw new IllegalArgumentException("configMapGenerator " + name
                    + ": only files with options.disableNameSuffixHash: true are supported");
        }
        final Object behavior = generator.getOrDefault("behavior", "create");
        if (!"create".equals(behavior) && !"replace".equals(behavior)) {
            throw new IllegalArgumentException("configMapGenerator " + name + ": behavior " + behavior
                    + " is not supported (expected: create or replace)");
        }
        final Map<String, Object> data = new LinkedHashMap<>();
        for (Object source : list(generator, "files", dir)) {
            final String[] keyAndPath = fileSource((String) source);
            data.put(keyAndPath[0], read(dir.resolve(keyAndPath[1])));
        }
        final Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", name);
        final Map<String, Object> configMap = new LinkedHashMap<>();
        configMap.put("apiVersion", "v1");
        configMap.put("kind", "ConfigMap");
        configMap.put("metadata", metadata);
        configMap.put("data", data);
        return configMap;
    }

    /**
     * kustomize's {@code behavior: replace}: the generated ConfigMap takes the place of the one of that name
     * the resources made (its data replaced whole; neither has labels or annotations here).
     */
    private static void replace(List<Map<String, Object>> objects, Map<String, Object> configMap, Path file) {
        final Object name = asMap(configMap.get("metadata"), "metadata").get("name");
        for (int i = 0; i < objects.size(); i++) {
            final Map<String, Object> object = objects.get(i);
            if ("ConfigMap".equals(object.get("kind"))
                    && Objects.equals(asMap(object.get("metadata"), "metadata").get("name"), name)) {
                if (!Objects.equals(object.get("metadata"), configMap.get("metadata"))) {
                    throw new IllegalArgumentException(file + ": ConfigMap " + name + " to replace has metadata "
                            + "this renderer does not merge: " + object.get("metadata"));
                }
                objects.set(i, configMap);
                return;
            }
        }
        throw new IllegalArgumentException(file + ": behavior: replace, but no resource is a ConfigMap " + name);
    }

    /** {@code KEY=PATH} or {@code PATH} (the key is then the file's name). */
    private static String[] fileSource(String source) {
        final int eq = source.indexOf('=');
        return eq < 0 ? new String[] {Path.of(source).getFileName().toString(), source}
                : new String[] {source.substring(0, eq), source.substring(eq + 1)};
    }

    private static void patch(List<Map<String, Object>> objects, Map<String, Object> entry, Path dir) {
        if (!entry.containsKey("path") || !Set.of("path", "target").containsAll(entry.keySet())) {
            throw new IllegalArgumentException(dir + ": only patches with a path (and a target) are supported");
        }
        final Path file = dir.resolve((String) entry.get("path"));
        final Object content = YamlDocuments.parseAll(read(file)).get(0);
        final Map<String, Object> target = entry.containsKey("target")
                ? asMap(entry.get("target"), file + ": target") : selectorOf(asMap(content, file.toString()));
        final List<Map<String, Object>> matches = objects.stream().filter(o -> matches(o, target)).toList();
        if (matches.isEmpty()) {
            throw new IllegalArgumentException(file + ": no resource matches the patch's target " + target);
        }
        for (Map<String, Object> object : matches) {
            if (content instanceof List<?>) {
                JsonPatch.apply(object, asList(content, file.toString()), file.toString());
            } else {
                StrategicMergePatch.apply(object, asMap(content, file.toString()), file.toString());
            }
        }
    }

    /** A strategic merge patch without a target applies to the object it names. */
    private static Map<String, Object> selectorOf(Map<String, Object> patch) {
        final Map<String, Object> target = new LinkedHashMap<>();
        final String apiVersion = (String) patch.get("apiVersion");
        final int slash = apiVersion.indexOf('/');
        target.put("group", slash < 0 ? "" : apiVersion.substring(0, slash));
        target.put("version", apiVersion.substring(slash + 1));
        target.put("kind", patch.get("kind"));
        target.put("name", asMap(patch.get("metadata"), "metadata").get("name"));
        return target;
    }

    private static boolean matches(Map<String, Object> object, Map<String, Object> target) {
        final String apiVersion = (String) object.get("apiVersion");
        final int slash = apiVersion.indexOf('/');
        final Map<String, Object> id = Map.of(
                "group", slash < 0 ? "" : apiVersion.substring(0, slash),
                "version", apiVersion.substring(slash + 1),
                "kind", object.get("kind"),
                "name", asMap(object.get("metadata"), "metadata").get("name"));
        for (Map.Entry<String, Object> criterion : target.entrySet()) {
            if (!id.containsKey(criterion.getKey())) {
                throw new IllegalArgumentException("unsupported patch target field '" + criterion.getKey() + "'");
            }
            if (!Objects.equals(id.get(criterion.getKey()), criterion.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** kustomize's {@code images}: a new name, tag or digest for every container image of that name. */
    private static void setImage(List<Map<String, Object>> objects, Map<String, Object> image) {
        final String name = (String) image.get("name");
        for (Map<String, Object> object : objects) {
            for (Map<String, Object> container : containers(object)) {
                final String current = (String) container.get("image");
                final String[] parts = splitImage(current);
                if (!parts[0].equals(name)) {
                    continue;
                }
                final String newName = image.containsKey("newName") ? (String) image.get("newName") : parts[0];
                final String suffix = image.containsKey("digest") ? "@" + image.get("digest")
                        : image.containsKey("newTag") ? ":" + image.get("newTag") : parts[1];
                container.put("image", newName + suffix);
            }
        }
    }

    /** Name and tag-or-digest suffix ({@code ":1.0"}, {@code "@sha256:..."} or empty). */
    private static String[] splitImage(String image) {
        final int at = image.indexOf('@');
        if (at >= 0) {
            return new String[] {image.substring(0, at), image.substring(at)};
        }
        final int colon = image.lastIndexOf(':');
        return colon > image.lastIndexOf('/') ? new String[] {image.substring(0, colon), image.substring(colon)}
                : new String[] {image, ""};
    }

    /** The containers and init containers of a workload's pod template; none for other kinds. */
    private static List<Map<String, Object>> containers(Map<String, Object> object) {
        final List<Map<String, Object>> containers = new ArrayList<>();
        if (!(object.get("spec") instanceof Map<?, ?> spec) || !(spec.get("template") instanceof Map<?, ?> template)
                || !(template.get("spec") instanceof Map<?, ?> podSpec)) {
            return containers;
        }
        for (String field : List.of("initContainers", "containers")) {
            if (podSpec.get(field) instanceof List<?> list) {
                list.forEach(c -> containers.add(asMap(c, field)));
            }
        }
        return containers;
    }

    private static void checkUnique(List<Map<String, Object>> objects, Path file) {
        final Set<String> ids = new LinkedHashSet<>();
        for (Map<String, Object> object : objects) {
            final String id = object.get("apiVersion") + " " + object.get("kind") + " "
                    + asMap(object.get("metadata"), "metadata").get("name");
            if (!ids.add(id)) {
                throw new IllegalArgumentException(file + ": " + id + " is declared twice");
            }
        }
    }

    private static List<Object> list(Map<String, Object> map, String key, Object where) {
        return map.containsKey(key) ? asList(map.get(key), where + ": " + key) : List.of();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
