package dev.privateupstream.config;

import static dev.privateupstream.config.ConfigFiles.RESOURCE_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The written form's reader against the YAML parser: on every file the writer writes it answers, and
 * answers the very tree the parser gives; on any text it answers, the parser finds no error and the same
 * tree. Whatever it declines is the parser's business.
 */
class WrittenEndpointsFormTest {
    private static final Path FILE = Path.of("endpoints.yaml");
    /** Characters that change how YAML reads a line, and some it refuses outright. */
    private static final String HOSTILE = " -:\"'\\#[],{}\n\r\t$&*!|>%@`?~0.y\u0000\u0085\u00a0\u2028\ud800\ufeff\ufffe";

    @Test
    void readsEveryFileTheWriterWritesAsTheYamlParserDoes() {
        final Random random = new Random(7);
        for (int round = 0; round < 400; round++) {
            final List<SharedPrivateEndpoint> endpoints = new ArrayList<>();
            for (int i = 0; i < 1 + random.nextInt(6); i++) {
                endpoints.add(endpoint(i, random));
            }
            final String text = EndpointsFile.render(endpoints);
            final YamlNode slow = parsed(text);
            final YamlNode fast = WrittenEndpointsForm.read(text);
            assertThat(fast).as("declined the writer's own file:%n%s", text).isNotNull();
            assertThat(fast).as("file:%n%s", text).isEqualTo(slow);
        }
    }

    @Test
    void whatItReadsAfterAnyEditTheYamlParserReadsTheSame() {
        final Random random = new Random(11);
        int taken = 0;
        int declined = 0;
        for (int round = 0; round < 20_000; round++) {
            final List<SharedPrivateEndpoint> endpoints = List.of(endpoint(0, random), endpoint(1, random));
            final StringBuilder text = new StringBuilder(EndpointsFile.render(endpoints));
            for (int edit = 0; edit < 1 + random.nextInt(3); edit++) {
                final int at = random.nextInt(text.length() + 1);
                final char c = HOSTILE.charAt(random.nextInt(HOSTILE.length()));
                switch (random.nextInt(3)) {
                    case 0 -> text.insert(at, c);
                    case 1 -> text.deleteCharAt(Math.min(at, text.length() - 1));
                    default -> text.setCharAt(Math.min(at, text.length() - 1), c);
                }
            }
            final YamlNode fast = WrittenEndpointsForm.read(text.toString());
            if (fast == null) {
                declined++;
                continue;
            }
            taken++;
            final ConfigErrors errors = new ConfigErrors();
            final YamlNode slow = YamlTree.parse(FILE, text.toString(), errors);
            assertThat(errors.list()).as("the parser's errors on a text taken:%n%s", text).isEmpty();
            assertThat(fast).as("text:%n%s", text).isEqualTo(slow);
        }
        // Both kinds happened: the property was tested, and the reader is not a yes-man.
        assertThat(taken).isGreaterThan(2_000);
        assertThat(declined).isGreaterThan(2_000);
    }

    @Test
    void declinesWhatIsNotPlainlyTheWrittenForm() {
        assertThat(WrittenEndpointsForm.read("- name: a\n  status: Approved\n")).isNotNull();
        assertThat(WrittenEndpointsForm.read("[]\n")).isNull();
        assertThat(WrittenEndpointsForm.read("# only a comment\n")).isNull();
        assertThat(WrittenEndpointsForm.read("- name: a\r\n")).isNull();
        assertThat(WrittenEndpointsForm.read("- name: a \n")).isNull();
        assertThat(WrittenEndpointsForm.read("- name: a # note\n")).isNull();
        assertThat(WrittenEndpointsForm.read("- name: a\n  name: b\n")).isNull();
        assertThat(WrittenEndpointsForm.read("- name: yes\n")).isNull();
        assertThat(WrittenEndpointsForm.read("- name: 'a'\n")).isNull();
        assertThat(WrittenEndpointsForm.read("- name: 1.5\n")).isNull();
        assertThat(WrittenEndpointsForm.read("- name: a\n   status: x\n")).isNull();
        assertThat(WrittenEndpointsForm.read("- name: a\n  privateIps:\n    - 10.0.0.1/32\n")).isNull();
        assertThat(WrittenEndpointsForm.read("---\n- name: a\n")).isNull();
    }

    private static YamlNode parsed(String text) {
        final ConfigErrors errors = new ConfigErrors();
        final YamlNode root = YamlTree.parse(FILE, text, errors);
        assertThat(errors.list()).as("the parser's errors on the writer's file:%n%s", text).isEmpty();
        return root;
    }

    private static SharedPrivateEndpoint endpoint(int n, Random random) {
        final List<IpPrefix> ips = new ArrayList<>();
        for (int i = 0; i < random.nextInt(3); i++) {
            ips.add(IpPrefix.parse(random.nextBoolean() ? "10.0." + n + "." + i * 16 + "/28"
                    : "fd00:" + n + "::" + i + "/128"));
        }
        return new SharedPrivateEndpoint("spe-" + n, "sites", RESOURCE_ID, text(random),
                EndpointStatus.values()[random.nextInt(EndpointStatus.values().length)], text(random), ips,
                ips.isEmpty() || random.nextBoolean() ? new LinkId(random.nextInt(Integer.MAX_VALUE)) : null);
    }

    /** Free text as operators write it, and as hostile as a string can be. */
    private static String text(Random random) {
        return switch (random.nextInt(8)) {
            case 0 -> "";
            case 1 -> "please approve";
            case 2 -> List.of("yes", "No", "null", "~", "true", "1e3", "0x1F", "12:30", "- a", "a: b").get(
                    random.nextInt(10));
            case 3 -> "${ZONE} costs $5 \\ \"quoted\"";
            default -> {
                final StringBuilder s = new StringBuilder();
                for (int i = 0; i < random.nextInt(12); i++) {
                    s.append(random.nextInt(3) == 0 ? HOSTILE.charAt(random.nextInt(HOSTILE.length()))
                            : (char) (random.nextBoolean() ? 'a' + random.nextInt(26) : random.nextInt(0x3000)));
                }
                yield s.toString();
            }
        };
    }
}
