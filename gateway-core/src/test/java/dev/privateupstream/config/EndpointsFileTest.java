package dev.privateupstream.config;

import static dev.privateupstream.config.ConfigFiles.MINIMAL;
import static dev.privateupstream.config.ConfigFiles.RESOURCE_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.privateupstream.endpoint.EndpointStatus;
import dev.privateupstream.endpoint.LinkId;
import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EndpointsFileTest {
    private static final SharedPrivateEndpoint APPROVED = new SharedPrivateEndpoint("contoso-func-spe", "sites",
            RESOURCE_ID, "please approve", EndpointStatus.APPROVED, "approved by the function owner",
            List.of(IpPrefix.parse("10.1.0.4"), IpPrefix.parse("10.1.0.0/28"), IpPrefix.parse("FD00:0::1:0/112")),
            new LinkId(520093697));
    private static final SharedPrivateEndpoint PENDING = new SharedPrivateEndpoint("pending.spe_2", "sites",
            RESOURCE_ID, "", EndpointStatus.PENDING, "", List.of(), new LinkId(0));

    @TempDir
    Path folder;

    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(folder).gateway(MINIMAL).endpoints("[]\n");
    }

    @AfterEach
    void restorePermissions() throws Exception {
        // Let @TempDir clean up after the read-only test.
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void writesWhatTheLoaderReads() throws Exception {
        EndpointsFile.write(files.endpoints, List.of(APPROVED, PENDING));

        assertThat(files.load().endpoints()).containsExactly(APPROVED, PENDING);
        assertThat(Files.readString(files.endpoints)).contains("""
                - name: contoso-func-spe
                  groupId: sites
                  privateLinkResourceId: %s
                  requestMessage: please approve
                  status: Approved
                  description: approved by the function owner
                  privateIps: [ 10.1.0.4/32, 10.1.0.0/28, "fd00::1:0/112" ]
                  linkId: 520093697
                - name: pending.spe_2
                  groupId: sites
                  privateLinkResourceId: %s
                  status: Pending
                  linkId: 0
                """.formatted(RESOURCE_ID, RESOURCE_ID));
    }

    @Test
    void writesTheExampleEndpointsBackUnchanged() throws Exception {
        Path exampleConfig = ConfigFiles.exampleConfig();
        List<SharedPrivateEndpoint> example = new ConfigLoader(Map.of()).load(exampleConfig).endpoints();
        files.gateway(Files.readString(exampleConfig));

        EndpointsFile.write(files.endpoints, example);

        assertThat(files.load().endpoints()).isEqualTo(example);
    }

    /** Text from the admin API may hold anything: quotes, YAML words, placeholders, control characters. */
    @Test
    void roundTripsAwkwardText() throws Exception {
        List<String> texts = List.of("null", "~", "true", "No", "123", "0x1F", "1.5", "- item", "a: b", "# note",
                "it's \"quoted\"", "back\\slash", "line one\nline two\n", " padded ", "tab\there", "${HOME}",
                "$${x}", "cost: $5", "[flow]", "{map}", "*alias", "&anchor", "!tag", "%directive", "@at", "`tick`",
                "ünïcödé ✓ 😀", "bell\u0007nul\u0000", "nel\u0085ls\u2028", "\uFEFFbom", "non\uFFFEchar\uFFFF",
                "?", "|", ">", "'");
        for (String text : texts) {
            SharedPrivateEndpoint endpoint = new SharedPrivateEndpoint("spe", "sites", RESOURCE_ID, text,
                    EndpointStatus.REJECTED, text, List.of(IpPrefix.parse("10.1.0.4")), null);

            EndpointsFile.write(files.endpoints, List.of(endpoint));

            assertThat(files.load().endpoints()).as("round trip of %s", text).containsExactly(endpoint);
        }
    }

    @Test
    void writesAnEmptyListAsBrackets() throws Exception {
        EndpointsFile.write(files.endpoints, List.of(APPROVED));
        EndpointsFile.write(files.endpoints, List.of());

        assertThat(Files.readString(files.endpoints)).endsWith("\n[]\n");
        assertThat(files.load().endpoints()).isEmpty();
    }

    @Test
    void replacesTheFileAtomicallyAndLeavesNoTemporaryFile() throws Exception {
        Files.delete(files.endpoints);
        EndpointsFile.write(files.endpoints, List.of(APPROVED));
        EndpointsFile.write(files.endpoints, List.of(PENDING));

        try (var listing = Files.list(folder)) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("gateway.yaml",
                    "endpoints.yaml");
        }
        assertThat(files.load().endpoints()).containsExactly(PENDING);
    }

    @Test
    void keepsTheFilesPermissions() throws Exception {
        assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).contains("posix");
        Files.setPosixFilePermissions(files.endpoints, PosixFilePermissions.fromString("rw-r-----"));

        EndpointsFile.write(files.endpoints, List.of(APPROVED));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.endpoints)))
                .isEqualTo("rw-r-----");
    }

    @Test
    void writesThroughASymbolicLink() throws Exception {
        Path real = Files.createDirectories(folder.resolve("real")).resolve("endpoints.yaml");
        Files.move(files.endpoints, real);
        Files.createSymbolicLink(files.endpoints, real);

        EndpointsFile.write(files.endpoints, List.of(APPROVED));

        assertThat(Files.isSymbolicLink(files.endpoints)).isTrue();
        assertThat(files.load().endpoints()).containsExactly(APPROVED);
    }

    @Test
    void refusesAReadOnlyFolder() throws Exception {
        assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).contains("posix");
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("r-x------"));
        // Root ignores permissions: nothing to test then.
        assumeThat(Files.isWritable(folder)).as("folder writable despite chmod (running as root?)").isFalse();

        ReadOnlyEndpointsFileException e = catchThrowableOfType(ReadOnlyEndpointsFileException.class,
                () -> EndpointsFile.write(files.endpoints, List.of(APPROVED)));

        assertThat(e.path()).isEqualTo(files.endpoints.toAbsolutePath());
        assertThat(e.getMessage()).contains(files.endpoints.toAbsolutePath().toString()).contains("read-only");
        assertThat(Files.readString(files.endpoints)).isEqualTo("[]\n");
    }

    @Test
    void refusesAReadOnlyFile() throws Exception {
        assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).contains("posix");
        Files.setPosixFilePermissions(files.endpoints, PosixFilePermissions.fromString("r--r--r--"));
        assumeThat(Files.isWritable(files.endpoints)).as("file writable despite chmod (running as root?)").isFalse();

        ReadOnlyEndpointsFileException e = catchThrowableOfType(ReadOnlyEndpointsFileException.class,
                () -> EndpointsFile.write(files.endpoints, List.of(APPROVED)));

        assertThat(e.getMessage()).contains("the file is read-only");
        assertThat(Files.readString(files.endpoints)).isEqualTo("[]\n");
    }

    @Test
    void substitutionInTheLoaderDoesNotAlterWrittenText() throws Exception {
        SharedPrivateEndpoint endpoint = new SharedPrivateEndpoint("spe", "sites", RESOURCE_ID, "${SECRET}",
                EndpointStatus.PENDING, "${SECRET:-x}", List.of(IpPrefix.parse("10.1.0.4")), null);
        EndpointsFile.write(files.endpoints, List.of(endpoint));

        assertThat(files.environment(Map.of("SECRET", "leaked")).load().endpoints()).containsExactly(endpoint);
    }
}
