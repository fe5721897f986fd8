package dev.privateupstream.config;

import static dev.privateupstream.config.ConfigFiles.RESOURCE_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A loader that reuses the unchanged items of the endpoints file answers exactly what a fresh loader
 * answers: the same endpoints, or the same errors at the same lines and key paths.
 */
class ParsedItemsTest {
    private static final List<UpstreamConfig> UPSTREAMS = List.of(new UpstreamConfig("contoso-func", RESOURCE_ID,
            URI.create("http://127.0.0.1:7071"), List.of(), null, null, null, 256));

    private static final AtomicInteger FRESH = new AtomicInteger(1000);

    @TempDir
    Path folder;

    @Test
    void reloadsAfterRandomEditsAnswerAsAFreshLoaderDoes() throws Exception {
        final Random random = new Random(20261207);
        final Path file = folder.resolve("endpoints.yaml");
        final List<SharedPrivateEndpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            endpoints.add(endpoint(i, random));
        }
        final ConfigLoader cached = new ConfigLoader(Map.of("ZONE", "west"));
        int reusedReads = 0;
        for (int round = 0; round < 300; round++) {
            String text = EndpointsFile.render(endpoints);
            text = hostile(text, random);
            Files.writeString(file, text);

            final Outcome fresh = read(new ConfigLoader(Map.of("ZONE", "west")), file);
            final Outcome again = read(cached, file);
            assertThat(again).as("round %d, file:%n%s", round, text).isEqualTo(fresh);
            if (cached.reusedItems() > 0) {
                reusedReads++;
            }
            edit(endpoints, random);
        }
        // Most rounds change a few items and follow a clean read: those reads reused the rest.
        assertThat(reusedReads).isGreaterThan(150);
        assertThat(cached.readsCheckedByChangedItems()).isGreaterThan(50);
    }

    @Test
    void splitsTheBlockFormOnlyAndParsesAnythingElseWhole() throws Exception {
        assertThat(split("# header\n- name: a\n  status: Approved\n\n# note\n- name: b\n"))
                .containsExactly("2:- name: a\n  status: Approved\n\n# note\n", "6:- name: b\n");
        assertThat(split("\uFEFF- name: a\n- name: é\n")).containsExactly("1:- name: a\n", "2:- name: é\n");
        assertThat(split("-\n  name: a\n")).hasSize(1);
        assertThat(split("[]\n")).isNull();
        assertThat(split("---\n- name: a\n")).isNull();
        assertThat(split("- name: a\r\n")).isNull();
        assertThat(split("- name: a\n\tstatus: x\n")).isNull();
        assertThat(split("  - name: a\n")).isNull();
        assertThat(split("- name: a\n  privateIps: [\n10.0.0.1 ]\n")).isNull();
        assertThat(split("-name: a\n")).isNull();
        assertThat(split("# nothing\n")).isNull();
        assertThat(split("")).isNull();
    }

    @Test
    void anItemMatchesTheBytesItWasReadWith() {
        final EndpointItems items = new EndpointItems();
        final byte[] file = "# h\n- name: a\n- name: b\n  x: 1\n".getBytes(StandardCharsets.UTF_8);
        assertThat(items.split(file, file.length)).isTrue();
        final byte[] b = "- name: b\n  x: 1\n".getBytes(StandardCharsets.UTF_8);
        assertThat(items.matches(1, b)).isTrue();
        assertThat(items.matches(0, b)).isFalse();
        assertThat(items.matches(1, "- name: b\n  x: 1".getBytes(StandardCharsets.UTF_8))).isFalse();
        final EndpointItems alone = new EndpointItems();
        assertThat(alone.split(b, b.length)).isTrue();
        assertThat(items.hash(1)).isEqualTo(alone.hash(0)).isNotEqualTo(items.hash(0));
        assertThat(items.copy(1)).isEqualTo(b);
        // Only the first length bytes are the file: what follows in the buffer is left from a longer read.
        assertThat(items.split(file, 13)).isTrue();
        assertThat(items.count()).isEqualTo(1);
        assertThat(items.copy(0)).isEqualTo("- name: a".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFileThatIsNotUtf8IsRefusedWhereverTheBytesAre() throws Exception {
        final Path file = folder.resolve("endpoints.yaml");
        final ConfigLoader loader = new ConfigLoader(Map.of());
        final List<SharedPrivateEndpoint> endpoints = List.of(endpoint(1, new Random(1)), endpoint(2, new Random(2)));
        final byte[] good = EndpointsFile.render(endpoints).getBytes(StandardCharsets.UTF_8);
        Files.write(file, good);
        assertThat(read(loader, file).errors()).isEmpty();
        // A bad byte in a changed item, then in the comments before the first item: the items read before
        // are all reusable, so only the bytes looked at again can tell.
        final String withBadItem = EndpointsFile.render(endpoints).replace("spe-2", "spe-\u00e9");
        final byte[] bad = withBadItem.getBytes(StandardCharsets.UTF_8);
        final int at = withBadItem.indexOf('\u00e9');
        bad[new String(withBadItem.substring(0, at)).getBytes(StandardCharsets.UTF_8).length + 1] = (byte) 0x41;
        Files.write(file, bad);
        assertThat(read(loader, file).errors()).singleElement().asString().contains("not UTF-8 text");
        Files.write(file, good);
        assertThat(read(loader, file).errors()).isEmpty();
        final byte[] badHead = concat("# caf\u00e9 ".getBytes(StandardCharsets.UTF_8), good);
        badHead[6] = (byte) 0xFF;
        Files.write(file, badHead);
        assertThat(read(loader, file).errors()).singleElement().asString().contains("not UTF-8 text");
        assertThat(read(new ConfigLoader(Map.of()), file).errors()).singleElement().asString()
                .contains("not UTF-8 text");
    }

    @Test
    void aFileShorterThanTheOneBeforeIsReadToItsEnd() throws Exception {
        final Path file = folder.resolve("endpoints.yaml");
        final ConfigLoader loader = new ConfigLoader(Map.of());
        final List<SharedPrivateEndpoint> many = endpoints(200, 7);
        for (List<SharedPrivateEndpoint> set : List.of(many, many.subList(0, 150), many.subList(0, 3), many,
                many.subList(0, 1), many.subList(0, 199))) {
            Files.writeString(file, EndpointsFile.render(set));
            assertThat(read(loader, file)).isEqualTo(new Outcome(set, List.of()));
        }
    }

    @Test
    void anItemRemovedGivesUpItsNameAndPrefixesForTheNextRead() throws Exception {
        final Path file = folder.resolve("endpoints.yaml");
        final ConfigLoader loader = new ConfigLoader(Map.of());
        final List<SharedPrivateEndpoint> all = endpoints(100, 3);
        final List<SharedPrivateEndpoint> back = new ArrayList<>(all);
        back.set(99, all.get(99).withStatus(all.get(99).status(), "back again"));
        int checked = 0;
        for (List<SharedPrivateEndpoint> set : List.of(all, all.subList(0, 99), back)) {
            Files.writeString(file, EndpointsFile.render(set));
            assertThat(read(loader, file)).isEqualTo(new Outcome(set, List.of()));
            assertThat(loader.readsCheckedByChangedItems()).isEqualTo(checked);
            checked++; // the first read is whole; the others check their changed items alone
        }
    }

    @Test
    void aFileOfWhichEveryItemChangedIsReadItemByItem() throws Exception {
        final Path file = folder.resolve("endpoints.yaml");
        final ConfigLoader loader = new ConfigLoader(Map.of());
        final List<SharedPrivateEndpoint> all = endpoints(100, 5);
        final List<SharedPrivateEndpoint> rewritten = new ArrayList<>();
        for (SharedPrivateEndpoint endpoint : all) {
            rewritten.add(endpoint.withStatus(endpoint.status(), "rewritten"));
        }
        Files.writeString(file, EndpointsFile.render(all));
        assertThat(read(loader, file)).isEqualTo(new Outcome(all, List.of()));
        Files.writeString(file, EndpointsFile.render(rewritten));
        assertThat(read(loader, file)).isEqualTo(new Outcome(rewritten, List.of()))
                .isEqualTo(read(new ConfigLoader(Map.of()), file));
        assertThat(loader.reusedItems()).isZero();
        assertThat(loader.readsCheckedByChangedItems()).isEqualTo(1);
    }

    @Test
    void readsAfterRandomByteEditsAnswerAsAFreshLoaderDoes() throws Exception {
        // Bytes, not text: what an editor in another encoding, a truncated copy or a stray control
        // character leaves, which the cutting of items reads before anything is decoded.
        final byte[][] inserts = {{(byte) 0xC3}, {(byte) 0xA9}, {(byte) 0xFF}, {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
            {'\r'}, {'\t'}, {'\n'}, {'-'}, {'-', ' '}, {' '}, {'#'}, {0}, "\u00e9".getBytes(StandardCharsets.UTF_8),
            "\uD83D\uDE00".getBytes(StandardCharsets.UTF_8)};
        final Random random = new Random(20261208);
        final Path file = folder.resolve("endpoints.yaml");
        final byte[] clean = EndpointsFile.render(endpoints(40, 11)).getBytes(StandardCharsets.UTF_8);
        final ConfigLoader cached = new ConfigLoader(Map.of());
        for (int round = 0; round < 400; round++) {
            Files.write(file, clean);
            assertThat(read(cached, file).errors()).isEmpty();
            byte[] edited = clean;
            for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
                final int at = random.nextInt(edited.length + 1);
                edited = random.nextInt(4) == 0 ? cut(edited, at, Math.min(edited.length, at + random.nextInt(8)))
                        : concat(concat(Arrays.copyOf(edited, at), inserts[random.nextInt(inserts.length)]),
                                Arrays.copyOfRange(edited, at, edited.length));
            }
            Files.write(file, edited);
            assertThat(read(cached, file)).as("round %d", round).isEqualTo(read(new ConfigLoader(Map.of()), file));
        }
    }

    private static List<String> split(String text) throws Exception {
        final EndpointItems items = new EndpointItems();
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (!items.split(bytes, bytes.length)) {
            return null;
        }
        final List<String> cut = new ArrayList<>();
        for (int i = 0; i < items.count(); i++) {
            cut.add(items.firstLine(i) + ":" + items.text(i));
        }
        return cut;
    }

    private static byte[] cut(byte[] bytes, int from, int to) {
        return concat(Arrays.copyOf(bytes, from), Arrays.copyOfRange(bytes, to, bytes.length));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        final byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private record Outcome(List<SharedPrivateEndpoint> endpoints, List<String> errors) {
    }

    private static Outcome read(ConfigLoader loader, Path file) {
        try {
            return new Outcome(loader.loadEndpoints(file, UPSTREAMS), List.of());
        } catch (ConfigException e) {
            return new Outcome(List.of(), e.errors().stream().map(ConfigError::toString).toList());
        }
    }

    private static List<SharedPrivateEndpoint> endpoints(int count, long seed) {
        final Random random = new Random(seed);
        final List<SharedPrivateEndpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            endpoints.add(endpoint(i, random));
        }
        return endpoints;
    }

    private static SharedPrivateEndpoint endpoint(int n, Random random) {
        final List<IpPrefix> ips = new ArrayList<>();
        for (int i = 0; i < 1 + random.nextInt(3); i++) {
            ips.add(IpPrefix.parse("10." + (n / 250) + "." + (n % 250) + "." + (i * 16) + "/28"));
        }
        return new SharedPrivateEndpoint("spe-" + n, "sites", RESOURCE_ID, random.nextBoolean() ? "please" : "",
                EndpointStatus.values()[random.nextInt(EndpointStatus.values().length)],
                random.nextBoolean() ? "line one" : "", ips, random.nextInt(4) == 0 ? new LinkId(n) : null);
    }

    /** A few changes, as operators and the admin API make them: status, description, new, removed, moved. */
    private static void edit(List<SharedPrivateEndpoint> endpoints, Random random) {
        for (int k = 0; k < 1 + random.nextInt(4); k++) {
            final int i = random.nextInt(endpoints.size());
            final SharedPrivateEndpoint e = endpoints.get(i);
            switch (random.nextInt(6)) {
                case 0 -> endpoints.set(i, new SharedPrivateEndpoint(e.name(), e.groupId(), e.privateLinkResourceId(),
                        e.requestMessage(), EndpointStatus.APPROVED, e.description(), e.privateIps(), e.linkId()));
                case 1 -> endpoints.set(i, new SharedPrivateEndpoint(e.name(), e.groupId(), e.privateLinkResourceId(),
                        e.requestMessage(), e.status(), e.description().isEmpty() ? "added" : "", e.privateIps(),
                        e.linkId()));
                case 2 -> endpoints.add(random.nextInt(endpoints.size() + 1), endpoint(fresh(), random));
                case 3 -> endpoints.remove(i);
                case 4 -> endpoints.add(endpoints.remove(i));
                default -> endpoints.set(i, new SharedPrivateEndpoint(e.name(), e.groupId(),
                        e.privateLinkResourceId(), e.requestMessage(), e.status(), e.description(),
                        endpoint(fresh(), random).privateIps(), e.linkId()));
            }
        }
    }

    /**
     * A number no endpoint's name or prefixes used yet: the set itself stays valid, so that most reads check
     * only their changed items; the clashes come from {@link #hostile}, one read at a time.
     */
    private static int fresh() {
        return FRESH.getAndIncrement();
    }

    /** The name of a random endpoint of the file, or one that is not there. */
    private static String name(String[] lines, Random random) {
        for (int tries = 0; tries < 50; tries++) {
            final String line = lines[random.nextInt(lines.length)];
            if (line.startsWith("- name: ")) {
                return line.substring("- name: ".length());
            }
        }
        return "absent";
    }

    /** The privateIps line of a random endpoint of the file. */
    private static String ips(String[] lines, Random random) {
        for (int tries = 0; tries < 50; tries++) {
            final String line = lines[random.nextInt(lines.length)];
            if (line.startsWith("  privateIps: ")) {
                return line;
            }
        }
        return "\n\n";
    }

    /** The last link id declared in the file, so that an earlier endpoint is given it too. */
    private static String linkId(String text) {
        final int at = text.lastIndexOf("\n  linkId: ");
        return at < 0 ? "1" : text.substring(at + "\n  linkId: ".length(), text.indexOf('\n', at + 1));
    }

    /** Now and then, what a hand edit brings: an error in an item, a variable, a comment, another form. */
    private static String hostile(String text, Random random) {
        final String[] lines = text.split("\n", -1);
        final int at = random.nextInt(lines.length);
        return switch (random.nextInt(20)) {
            case 0 -> text.replaceFirst("status: Approved", "status: Maybe");
            case 1 -> text.replaceFirst("\n  groupId: sites\n", "\n  groupId: sites\n  bogus: 1\n");
            case 2 -> text.replaceFirst("requestMessage: please", "requestMessage: \\${ZONE}");
            case 3 -> text.replaceFirst("\n- name", "\n# moved here\n\n- name");
            case 4 -> text.replaceFirst("description: line one", "description: \"unterminated");
            case 5 -> text.replace("\n" + lines[at] + "\n", "\n" + lines[at] + "\n  name: twice\n");
            case 6 -> text.replaceFirst("\n- name", "\n---\n- name");
            // Rule clashes in a single changed item, which the changed items' own check must catch.
            case 7 -> text.replace("\n- name: " + name(lines, random) + "\n", "\n- name: "
                    + name(lines, random).toUpperCase(java.util.Locale.ROOT) + "\n");
            case 8 -> text.replaceFirst("\n  linkId: \\d+\n", "\n  linkId: " + linkId(text) + "\n");
            case 9 -> text.replaceFirst("\n  privateIps: \\[ ([0-9./]+) ]\n", "\n  privateIps: [ $1, $1 ]\n");
            case 10 -> text.replace(lines[at].startsWith("  privateIps: ") ? lines[at] : "\n\n", ips(lines, random));
            case 11 -> text.replaceFirst("privateLinkResourceId: \\S+", "privateLinkResourceId: /subscriptions/other");
            // Bytes the cutting must read as UTF-8 and not as characters: a byte order mark, and text outside ASCII.
            case 12 -> "\uFEFF" + text;
            case 13 -> text.replaceFirst("description: line one", "description: l\u00EDnea \u4E00 \uD83D\uDE00");
            default -> text;
        };
    }
}
