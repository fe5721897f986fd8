package dev.privateupstream.deploy;

import static dev.privateupstream.deploy.YamlDocuments.asMap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * RFC 6902 JSON Patch on a YAML tree, as kustomize applies a {@code patches} entry whose file is a list of
 * operations. All six operations; the tree is changed in place.
 */
final class JsonPatch {
    private JsonPatch() {
    }

    static void apply(Map<String, Object> target, List<Object> operations, String origin) {
        for (int i = 0; i < operations.size(); i++) {
            final Map<String, Object> op = asMap(operations.get(i), origin + "[" + i + "]");
            final String where = origin + "[" + i + "] " + op.get("op") + " " + op.get("path");
            final List<String> path = pointer(require(op, "path", where), where);
            switch (require(op, "op", where)) {
                case "add" -> add(target, path, YamlDocuments.deepCopy(value(op, where)), where);
                case "remove" -> remove(target, path, where);
                case "replace" -> {
                    remove(target, path, where);
                    add(target, path, YamlDocuments.deepCopy(value(op, where)), where);
                }
                case "move" -> {
                    final List<String> from = pointer(require(op, "from", where), where);
                    add(target, path, remove(target, from, where), where);
                }
                case "copy" -> {
                    final List<String> from = pointer(require(op, "from", where), where);
                    add(target, path, YamlDocuments.deepCopy(get(target, from, where)), where);
                }
                case "test" -> {
                    if (!Objects.equals(get(target, path, where), value(op, where))) {
                        throw new IllegalArgumentException(where + ": test failed");
                    }
                }
                default -> throw new IllegalArgumentException(where + ": unknown operation");
            }
        }
    }

    private static String require(Map<String, Object> op, String key, String where) {
        if (!(op.get(key) instanceof String value)) {
            throw new IllegalArgumentException(where + ": '" + key + "' missing");
        }
        return value;
    }

    private static Object value(Map<String, Object> op, String where) {
        if (!op.containsKey("value")) {
            throw new IllegalArgumentException(where + ": 'value' missing");
        }
        return op.get("value");
    }

    /** The reference tokens of a JSON pointer, unescaped ({@code ~1} is '/', {@code ~0} is '~'). */
    static List<String> pointer(String text, String where) {
        if (!text.startsWith("/")) {
            throw new IllegalArgumentException(where + ": a JSON pointer starts with '/': " + text);
        }
        final List<String> tokens = new ArrayList<>();
        for (String token : text.substring(1).split("/", -1)) {
            tokens.add(token.replace("~1", "/").replace("~0", "~"));
        }
        return tokens;
    }

    private static Object get(Object root, List<String> path, String where) {
        Object node = root;
        for (String token : path) {
            node = child(node, token, where);
        }
        return node;
    }

    private static Object child(Object node, String token, String where) {
        if (node instanceof Map<?, ?> map) {
            if (!map.containsKey(token)) {
                throw new IllegalArgumentException(where + ": no member '" + token + "'");
            }
            return map.get(token);
        }
        if (node instanceof List<?> list) {
            final int index = index(token, list.size() - 1, where);
            return list.get(index);
        }
        throw new IllegalArgumentException(where + ": '" + token + "' inside a scalar");
    }

    @SuppressWarnings("unchecked")
    private static void add(Object root, List<String> path, Object value, String where) {
        final Object parent = get(root, path.subList(0, path.size() - 1), where);
        final String last = path.get(path.size() - 1);
        if (parent instanceof Map<?, ?> map) {
            ((Map<String, Object>) map).put(last, value);
        } else if (parent instanceof List<?> list) {
            final List<Object> elements = (List<Object>) list;
            elements.add("-".equals(last) ? elements.size() : index(last, elements.size(), where), value);
        } else {
            throw new IllegalArgumentException(where + ": parent is a scalar");
        }
    }

    private static Object remove(Object root, List<String> path, String where) {
        final Object parent = get(root, path.subList(0, path.size() - 1), where);
        final String last = path.get(path.size() - 1);
        if (parent instanceof Map<?, ?> map) {
            if (!map.containsKey(last)) {
                throw new IllegalArgumentException(where + ": no member '" + last + "'");
            }
            return map.remove(last);
        }
        if (parent instanceof List<?> list) {
            return list.remove(index(last, list.size() - 1, where));
        }
        throw new IllegalArgumentException(where + ": parent is a scalar");
    }

    private static int index(String token, int max, String where) {
        if (!token.matches("0|[1-9][0-9]{0,8}") || Integer.parseInt(token) > max) {
            throw new IllegalArgumentException(where + ": no list index '" + token + "'");
        }
        return Integer.parseInt(token);
    }
}
