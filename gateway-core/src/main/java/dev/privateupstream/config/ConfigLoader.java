package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads {@code gateway.yaml} and the endpoints file it names into a validated {@link GatewayConfig}
 * (SPEC §4).
 *
 * <p>Every value may hold {@code ${NAME}} or {@code ${NAME:-default}}, replaced from the environment given
 * to the constructor before the value is typed, so {@code port: ${PORT:-8080}} works; an empty result
 * counts as absent (the key's default applies) and empty list entries are dropped. Unknown keys, wrong
 * types and broken rules are errors. All errors of both files are collected and thrown at once in one
 * {@link ConfigException}, each located as {@code FILE:LINE: key.path: message}; nothing downstream
 * validates again.
 *
 * <p>Instances are thread-safe and may be shared; each call reads the files anew, and parses again only the
 * items of the endpoints file that changed since this loader last read it ({@link ParsedItems}).
 */
public final class ConfigLoader {
    /** Key path of errors about the endpoints file as a whole: the key that names it. */
    static final String ENDPOINTS_FILE_KEY = "sharedPrivateEndpoints.file";

    private final VariableSubstitution variables;
    private final ParsedItems parsedItems = new ParsedItems();

    /** A loader that substitutes {@code ${NAME}} from the given environment. */
    public ConfigLoader(Map<String, String> environment) {
        variables = new VariableSubstitution(requireNonNull(environment, "environment"));
    }

    /** A loader over {@link System#getenv()}. */
    public static ConfigLoader fromSystemEnvironment() {
        return new ConfigLoader(System.getenv());
    }

    /**
     * Loads and validates both files. Relative paths in {@code gateway.yaml} (the endpoints file, TLS
     * files) are resolved against its folder; the paths in the result are absolute.
     *
     * @throws ConfigException with every error, each located by file, line and key path
     */
    public GatewayConfig load(Path gatewayYaml) throws ConfigException {
        Path file = requireNonNull(gatewayYaml, "gatewayYaml").toAbsolutePath().normalize();
        ConfigErrors errors = new ConfigErrors();
        YamlNode root = YamlTree.read(file, YamlTree.FILE, errors);
        GatewayYaml main = root == null ? null : GatewayYaml.read(root, new ConfigSource(file, variables, errors));
        if (main == null || main.endpointsFile() == null && main.etcd() == null) {
            // Already reported; without the endpoints' store there is nothing more to read.
            throw new ConfigException(errors.list());
        }
        if (main.etcd() != null) {
            // The endpoints live in etcd: the store reads them (SPEC §10); loading a file does no network I/O.
            errors.throwIfAny();
            return new GatewayConfig(file, main.listen(), main.limits(), main.admin(), main.signalr(),
                    main.webpubsub(), main.upstreams().upstreams(), null, main.etcd(), List.of(),
                    main.tracing());
        }
        Located<Path> endpointsFile = main.endpointsFile();
        List<SharedPrivateEndpoint> endpoints = readEndpoints(endpointsFile.value(),
                main.upstreams().resourceIds(), " (named at " + file + ", line " + endpointsFile.line() + ")",
                errors);
        errors.throwIfAny();
        return new GatewayConfig(file, main.listen(), main.limits(), main.admin(), main.signalr(),
                main.webpubsub(), main.upstreams().upstreams(), endpointsFile.value(), null, endpoints,
                main.tracing());
    }

    /**
     * Reads an endpoints file that is not the configuration's own (the etcd store's {@code cacheFile}, the
     * file of {@code store import}) and checks it against {@code upstreams} with the endpoints file's rules.
     *
     * @throws ConfigException with every error of the file
     */
    public List<SharedPrivateEndpoint> loadEndpoints(Path endpointsFile, List<UpstreamConfig> upstreams)
            throws ConfigException {
        requireNonNull(endpointsFile, "endpointsFile");
        ConfigErrors errors = new ConfigErrors();
        List<SharedPrivateEndpoint> endpoints = readEndpoints(endpointsFile.toAbsolutePath().normalize(),
                resourceIds(requireNonNull(upstreams, "upstreams")), "", errors);
        errors.throwIfAny();
        return endpoints;
    }

    /**
     * Reads the endpoints file of {@code current} again and checks it against {@code current}'s upstreams:
     * for a change of that file alone (live reload).
     *
     * @return {@code current} with the endpoints now in the file
     * @throws ConfigException with every error of the endpoints file
     */
    public GatewayConfig reloadEndpoints(GatewayConfig current) throws ConfigException {
        requireNonNull(current, "current");
        if (current.endpointsFile() == null) {
            throw new IllegalArgumentException("current: its endpoints live in etcd, not in a file");
        }
        ConfigErrors errors = new ConfigErrors();
        List<SharedPrivateEndpoint> endpoints = readEndpoints(current.endpointsFile(),
                resourceIds(current.upstreams()), "", errors);
        errors.throwIfAny();
        return current.withEndpoints(endpoints);
    }

    /**
     * Checks a proposed list of endpoints that is not on disk yet (the admin API's change) with the rules
     * the loader applies to the endpoints file: field syntax, unique names, no prefix or {@code linkId}
     * declared twice, and a {@code privateLinkResourceId} that one of {@code upstreams} has. Errors have
     * line 0 and key paths such as {@code [2].privateIps[1]}, by index in {@code endpoints}.
     *
     * @param file the endpoints file the list is meant for, named in the errors
     * @return the errors, empty when the list is valid
     */
    public static List<ConfigError> validateEndpoints(List<SharedPrivateEndpoint> endpoints,
                                                      List<UpstreamConfig> upstreams, Path file) {
        requireNonNull(endpoints, "endpoints");
        requireNonNull(upstreams, "upstreams");
        requireNonNull(file, "file");
        ConfigErrors errors = new ConfigErrors();
        List<EndpointEntry> entries = new ArrayList<>(endpoints.size());
        for (int i = 0; i < endpoints.size(); i++) {
            EndpointEntry entry = EndpointEntry.of(requireNonNull(endpoints.get(i), "endpoints[" + i + "]"), i);
            checkField(entry.name(), EndpointRules::name, file, errors);
            checkField(new Located<>(entry.endpoint().groupId(), entry.keyPath() + ".groupId", 0),
                    EndpointRules::identifier, file, errors);
            checkField(entry.privateLinkResourceId(), EndpointRules::identifier, file, errors);
            entries.add(entry);
        }
        EndpointRules.check(entries, resourceIds(upstreams), file, errors);
        return errors.list();
    }

    private static void checkField(Located<String> field, Function<String, String> rule,
                                   Path file, ConfigErrors errors) {
        try {
            rule.apply(field.value());
        } catch (IllegalArgumentException e) {
            errors.add(file, field.line(), field.keyPath(), field.value().isEmpty() ? "missing" : e.getMessage());
        }
    }

    /**
     * The endpoints of {@code file}, checked; problems go to {@code errors}.
     *
     * @param resourceIds the upstreams' resource ids, or {@code null} when they are not all known
     * @param namedAt where the file is named, added to a "cannot read" error
     */
    private List<SharedPrivateEndpoint> readEndpoints(Path file, List<String> resourceIds, String namedAt,
                                                      ConfigErrors errors) {
        // One read at a time: the items refer to the bytes of the one buffer the remembered items keep.
        synchronized (parsedItems) {
            return readEndpointsAlone(file, resourceIds, namedAt, errors);
        }
    }

    private List<SharedPrivateEndpoint> readEndpointsAlone(Path file, List<String> resourceIds, String namedAt,
                                                           ConfigErrors errors) {
        ConfigErrors fileErrors = new ConfigErrors();
        List<EndpointEntry> entries = null;
        YamlNode root = null;
        if (parsedItems.read(file, ENDPOINTS_FILE_KEY, fileErrors)) {
            entries = parsedItems.entries(file, variables);
            if (entries == null) {
                String text = parsedItems.text(file, ENDPOINTS_FILE_KEY, fileErrors);
                root = text == null ? null : endpointsTree(file, text, fileErrors);
            }
        }
        for (ConfigError e : fileErrors.list()) {
            // Only a missing or unreadable file is reported here; add where it is named.
            errors.add(e.keyPath().equals(ENDPOINTS_FILE_KEY)
                    ? new ConfigError(e.file(), e.line(), e.keyPath(), e.message() + namedAt) : e);
        }
        if (entries == null) {
            if (root == null) {
                parsedItems.remember(file, false, List.of());
                return List.of();
            }
            int before = errors.size();
            entries = EndpointsYaml.read(root, new ConfigSource(file, variables, errors));
            // An item with an error is parsed again next time, so that the error is reported again.
            parsedItems.remember(file, errors.size() == before, entries);
        }
        if (!parsedItems.checkedAlone(resourceIds)) {
            parsedItems.keep(EndpointRules.check(entries, resourceIds, file, errors));
        }
        List<SharedPrivateEndpoint> endpoints = new ArrayList<>(entries.size());
        for (EndpointEntry entry : entries) {
            if (entry.endpoint() != null) {
                endpoints.add(entry.endpoint());
            }
        }
        return endpoints;
    }

    /**
     * The tree of an endpoints file's text: read straight when it is in the form the gateway writes (ten
     * times faster at 100,000 endpoints), else parsed as YAML.
     */
    static YamlNode endpointsTree(Path file, String text, ConfigErrors errors) {
        final YamlNode written = WrittenEndpointsForm.read(text);
        return written != null ? written : YamlTree.parse(file, text, errors);
    }

    /** How many reads of the endpoints file checked only the items that changed. */
    int readsCheckedByChangedItems() {
        return parsedItems.checkedAlone();
    }

    /** How many items of the endpoints file the last read took unparsed from the read before. */
    int reusedItems() {
        return parsedItems.reused();
    }

    private static List<String> resourceIds(List<UpstreamConfig> upstreams) {
        List<String> ids = new ArrayList<>(upstreams.size());
        for (UpstreamConfig upstream : upstreams) {
            ids.add(upstream.resourceId());
        }
        return ids;
    }
}
