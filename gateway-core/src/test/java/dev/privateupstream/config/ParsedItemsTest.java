package dev.privateupstream.config;

import static dev.privateupstream.config.ConfigFiles.RESOURCE_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
    void anItemIsFoundByItsTextInAMapOfStrings() {
        final List<EndpointItems.Item> items = EndpointItems.split("# h\n- name: a\n- name: b\n  x: 1\n");
        final Map<String, Integer> byText = new HashMap<>(Map.of("- name: b\n  x: 1\n", 2, "- name: a\n", 1));
        assertThat(items).extracting(byText::get).containsExactly(1, 2);
        assertThat(byText.get(EndpointItems.split("- name: a\n  x: 1\n").get(0))).isNull();
        assertThat(items.get(0)).isEqualTo(EndpointItems.split("\n- name: a\n").get(0)).isNotEqualTo(items.get(1))
                .isNotEqualTo(EndpointItems.split("- name: a\n").get(0)); // the same text on another line
    }

    @Test
    void splitsTheBlockFormOnlyAndParsesAnythingElseWhole() {
        assertThat(EndpointItems.split("# header\n- name: a\n  status: Approved\n\n# note\n- name: b\n"))
                .extracting(EndpointItems.Item::text, EndpointItems.Item::firstLine)
                .containsExactly(tuple("- name: a\n  status: Approved\n\n# note\n", 2), tuple("- name: b\n", 6));
        assertThat(EndpointItems.split("-\n  name: a\n")).hasSize(1);
        assertThat(EndpointItems.split("[]\n")).isNull();
        assertThat(EndpointItems.split("---\n- name: a\n")).isNull();
        assertThat(EndpointItems.split("- name: a\r\n")).isNull();
        assertThat(EndpointItems.split("- name: a\n\tstatus: x\n")).isNull();
        assertThat(EndpointItems.split("  - name: a\n")).isNull();
        assertThat(EndpointItems.split("- name: a\n  privateIps: [\n10.0.0.1 ]\n")).isNull();
        assertThat(EndpointItems.split("-name: a\n")).isNull();
        assertThat(EndpointItems.split("# nothing\n")).isNull();
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
            default -> text;
        };
    }
}
