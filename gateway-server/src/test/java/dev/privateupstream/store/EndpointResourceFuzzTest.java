package dev.privateupstream.store;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpAddress;
import dev.privateupstream.net.IpPrefix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Coverage-guided fuzzing (Jazzer) of the JSON an endpoint is kept and changed as (SPEC §7, §10): the
 * RESOURCE the etcd store holds under each endpoint key ({@link EndpointResource#parse}, read back by every
 * replica from bytes any writer of the store may have put there) and the body of the admin API's {@code PUT}
 * and approve/reject ({@link EndpointProperties#parse}, {@link EndpointProperties#parseDescription}).
 *
 * <ul>
 *   <li>Whatever the bytes, a parse returns or throws {@link InvalidFieldException}, nothing else, and the
 *       exception names a field the document has or should have: {@code (body)}, {@code name},
 *       {@code properties}, {@code properties.X} or {@code properties.privateIps[i]} with {@code i} within the
 *       list, or a top-level field the document holds.</li>
 *   <li>What parses reads back the same through the writer: {@code parse(bytes(e))} equals {@code e}, and
 *       writing it again gives the same bytes; its name, groupId and resource id are the document's text as
 *       it is.</li>
 *   <li>Any endpoint the record admits, written by {@link EndpointResource#bytes}, parses back equal.</li>
 * </ul>
 *
 * <p>Seeds under {@code EndpointResourceFuzzTestInputs/} are stored values as the gateway writes them, PUT
 * bodies from the README, and hand-made malformed ones. In the default build only they run; {@code JAZZER_FUZZ=1}
 * fuzzes one method (see the README, "Fuzzing").
 */
class EndpointResourceFuzzTest {
    /** The settings of the admin API's reader and {@link EndpointResource}'s: no duplicates, no trailing tokens. */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Pattern PRIVATE_IP = Pattern.compile("privateIps\\[(\\d{1,9})]");
    /** The fields of {@code properties}, which a refusal may name when they are missing. */
    private static final Set<String> KNOWN = Set.of("groupId", "privateLinkResourceId", "requestMessage", "description",
            "privateIps", "linkId", "status", "provisioningState");

    @FuzzTest(maxDuration = "10m")
    void storedValueParsesOrNamesTheField(byte[] json) {
        final SharedPrivateEndpoint endpoint;
        try {
            endpoint = EndpointResource.parse(json);
        } catch (InvalidFieldException e) {
            checkNamed(e, tree(json), json);
            return;
        }
        final JsonNode tree = tree(json);
        if (tree == null) {
            throw new AssertionError("parsed what the strict reader refuses: " + show(json));
        }
        final JsonNode properties = tree.path("properties");
        if (!endpoint.name().equals(tree.path("name").textValue())
                || !endpoint.groupId().equals(properties.path("groupId").textValue())
                || !endpoint.privateLinkResourceId().equals(properties.path("privateLinkResourceId").textValue())
                || endpoint.privateIps().size() != properties.path("privateIps").size()) {
            throw new AssertionError("read " + endpoint + " from " + show(json));
        }
        readsBackEqual(endpoint);
    }

    @FuzzTest(maxDuration = "10m")
    void putBodyParsesOrNamesTheField(byte[] body) {
        final JsonNode tree;
        if (new String(body, StandardCharsets.UTF_8).isBlank()) {
            tree = null; // as the admin API reads an empty body
        } else {
            tree = tree(body);
            if (tree == null) {
                return; // the API answers 400 naming (body) before any field is read
            }
        }
        try {
            final String description = EndpointProperties.parseDescription(tree);
            if (description != null && !description.equals(tree.get("description").textValue())) {
                throw new AssertionError("description " + description + " from " + show(body));
            }
        } catch (InvalidFieldException e) {
            checkNamed(e, tree, body);
        }
        final EndpointProperties properties;
        try {
            properties = EndpointProperties.parse(tree);
        } catch (InvalidFieldException e) {
            checkNamed(e, tree, body);
            return;
        }
        // What a PUT stores, read back as a replica reads it.
        readsBackEqual(new SharedPrivateEndpoint("fuzzed", properties.groupId(), properties.privateLinkResourceId(),
                properties.requestMessage(), EndpointStatus.PENDING, properties.description(), properties.privateIps(),
                properties.linkId()));
    }

    @FuzzTest(maxDuration = "10m")
    void writtenEndpointsReadBackEqual(FuzzedDataProvider data) {
        final String name = data.consumeString(40);
        final String groupId = data.consumeString(20);
        final String resourceId = data.consumeString(80);
        final String requestMessage = data.consumeBoolean() ? null : data.consumeString(60);
        final String description = data.consumeBoolean() ? null : data.consumeString(60);
        final EndpointStatus status = data.pickValue(EndpointStatus.values());
        final List<IpPrefix> prefixes = new ArrayList<>();
        for (int n = data.consumeInt(0, 4); n > 0; n--) {
            prefixes.add(prefix(data.consumeBoolean(), data.consumeBytes(16), data.consumeInt(0, 128)));
        }
        LinkId linkId = data.consumeBoolean() ? new LinkId(data.consumeLong(0, 0xFFFF_FFFFL)) : null;
        if (prefixes.isEmpty() && linkId == null) {
            linkId = new LinkId(0);
        }
        readsBackEqual(new SharedPrivateEndpoint(name, groupId, resourceId, requestMessage, status, description,
                prefixes, linkId));
    }

    /** A prefix of any family and length, its host bits cleared. */
    private static IpPrefix prefix(boolean v4, byte[] fuzzed, int length) {
        final byte[] bytes = Arrays.copyOf(fuzzed, v4 ? 4 : 16);
        final int bits = Math.min(length, bytes.length * 8);
        for (int i = 0; i < bytes.length; i++) {
            final int keep = Math.max(0, Math.min(8, bits - 8 * i));
            bytes[i] &= (byte) (0xff00 >> keep);
        }
        final IpAddress network = IpAddress.ofBytes(bytes);
        // An IPv4-mapped IPv6 network (kept only at /96 or longer) is an IPv4 one.
        return IpPrefix.of(network, network.isV4() && !v4 ? bits - 96 : bits);
    }

    private static void readsBackEqual(SharedPrivateEndpoint endpoint) {
        final byte[] written = EndpointResource.bytes(endpoint);
        final SharedPrivateEndpoint read;
        try {
            read = EndpointResource.parse(written);
        } catch (InvalidFieldException e) {
            throw new AssertionError("refused what it wrote (" + e.field() + ": " + e.getMessage() + "): "
                    + show(written), e);
        }
        if (!read.equals(endpoint)) {
            throw new AssertionError("wrote " + endpoint + ", read back " + read + " from " + show(written));
        }
        final byte[] again = EndpointResource.bytes(read);
        if (!Arrays.equals(written, again)) {
            throw new AssertionError("wrote " + show(written) + ", then " + show(again));
        }
    }

    /** The exception names a field of the document, or the document as a whole, and says what is wrong. */
    private static void checkNamed(InvalidFieldException e, JsonNode tree, byte[] json) {
        final String field = e.field();
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("no message for " + field + " in " + show(json));
        }
        if (field.equals("(body)") || field.equals("name") || field.equals("properties")) {
            return;
        }
        if (tree == null) {
            throw new AssertionError("named " + field + " in a document that does not parse: " + show(json));
        }
        if (field.startsWith("properties.")) {
            final String name = field.substring("properties.".length());
            final JsonNode properties = tree.path("properties");
            final Matcher item = PRIVATE_IP.matcher(name);
            if (KNOWN.contains(name) || properties.has(name)
                    || item.matches() && Integer.parseInt(item.group(1)) < properties.path("privateIps").size()) {
                return;
            }
        }
        if (tree.has(field)) {
            return; // an unknown top-level field (or the description of an approval), named as it is
        }
        throw new AssertionError("named '" + field + "', which " + show(json) + " does not have: " + e.getMessage());
    }

    /** The document as the strict reader reads it, or {@code null} when it refuses it. */
    private static JsonNode tree(byte[] json) {
        try {
            return STRICT.readTree(json);
        } catch (IOException e) {
            return null;
        }
    }

    private static String show(byte[] bytes) {
        final String text = new String(bytes, StandardCharsets.UTF_8);
        return Objects.requireNonNullElse(text.length() > 400 ? text.substring(0, 400) + "…" : text, "")
                + " (" + HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 64)) + ")";
    }
}
