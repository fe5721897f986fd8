package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import dev.privateupstream.endpoint.SharedPrivateEndpoint;
import dev.privateupstream.net.IpPrefix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes the shared private endpoints file (SPEC §4, §7) atomically, in the form the loader reads:
 * the SPEC's key names, statuses spelled {@code Pending}, {@code Approved}..., prefixes in canonical text,
 * {@code linkId} only when declared.
 *
 * <p>The YAML is emitted by hand rather than through Jackson's generator, which can neither write the
 * header comment nor mix block entries with flow lists such as {@code privateIps: [ 10.1.0.4/32 ]}.
 * Anything that is not plainly safe is double-quoted with escapes.
 */
public final class EndpointsFile {
    private static final String HEADER = "# Shared private endpoints of the private upstream gateway (SPEC §4).\n"
            + "# Written by the admin API; hand edits are validated and applied within 2 seconds.\n";
    // Conservative: plain scalars that read back as the same string in YAML 1.1 and 1.2 alike.
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_/][A-Za-z0-9_./-]*( [A-Za-z0-9_./-]+)*");
    private static final Pattern PLAIN_IPV4_PREFIX = Pattern.compile("[0-9.]+/[0-9]+");
    /** Words YAML 1.1 or 1.2 reads as something other than a string (booleans, null), in lower case. */
    static final Set<String> RESERVED = Set.of("true", "false", "yes", "no", "on", "off", "y", "n",
            "null", "~");

    private EndpointsFile() {
    }

    /**
     * Replaces {@code file} with the given endpoints: writes a temporary file in the same folder, forces it
     * to disk, renames it over {@code file} atomically and forces the folder, so that a crash leaves either
     * the old or the new file, never a torn one. A symbolic link is followed and kept.
     *
     * @throws ReadOnlyEndpointsFileException when the file or its folder is read-only
     * @throws IOException when writing fails otherwise; {@code file} is then unchanged
     */
    public static void write(Path file, List<SharedPrivateEndpoint> endpoints) throws IOException {
        requireNonNull(file, "file");
        requireNonNull(endpoints, "endpoints");
        Path target = file.toAbsolutePath().normalize();
        if (Files.isSymbolicLink(target) && Files.exists(target)) {
            target = target.toRealPath();
        }
        Path folder = target.getParent();
        if (!Files.isDirectory(folder)) {
            throw new NoSuchFileException(folder.toString(), null, "the endpoints file's folder does not exist");
        }
        if (Files.exists(target) && !Files.isWritable(target)) {
            throw new ReadOnlyEndpointsFileException(target, "the file is read-only");
        }
        if (!Files.isWritable(folder)) {
            throw new ReadOnlyEndpointsFileException(target, "its folder " + folder + " is read-only");
        }
        byte[] bytes = render(endpoints).getBytes(StandardCharsets.UTF_8);
        Path temp;
        try {
            temp = Files.createTempFile(folder, "." + target.getFileName() + ".", ".tmp");
        } catch (AccessDeniedException e) {
            throw new ReadOnlyEndpointsFileException(target, "its folder " + folder + " is not writable");
        } catch (FileSystemException e) {
            if (isReadOnlyFileSystem(e)) {
                throw new ReadOnlyEndpointsFileException(target, "it is on a read-only file system");
            }
            throw e;
        }
        boolean moved = false;
        try {
            copyPermissions(target, temp);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
        forceFolder(folder);
    }

    /** The file's text for these endpoints; {@code []} when there are none. */
    public static String render(List<SharedPrivateEndpoint> endpoints) {
        StringBuilder out = new StringBuilder(HEADER);
        if (endpoints.isEmpty()) {
            return out.append("[]\n").toString();
        }
        for (SharedPrivateEndpoint e : endpoints) {
            out.append("- name: ").append(scalar(e.name())).append('\n');
            out.append("  groupId: ").append(scalar(e.groupId())).append('\n');
            out.append("  privateLinkResourceId: ").append(scalar(e.privateLinkResourceId())).append('\n');
            if (!e.requestMessage().isEmpty()) {
                out.append("  requestMessage: ").append(scalar(e.requestMessage())).append('\n');
            }
            out.append("  status: ").append(e.status().wireName()).append('\n');
            if (!e.description().isEmpty()) {
                out.append("  description: ").append(scalar(e.description())).append('\n');
            }
            if (!e.privateIps().isEmpty()) {
                out.append("  privateIps: [ ");
                List<IpPrefix> ips = e.privateIps();
                for (int i = 0; i < ips.size(); i++) {
                    String canonical = ips.get(i).canonical();
                    out.append(i == 0 ? "" : ", ")
                            .append(PLAIN_IPV4_PREFIX.matcher(canonical).matches() ? canonical : quoted(canonical));
                }
                out.append(" ]\n");
            }
            if (e.linkId() != null) {
                out.append("  linkId: ").append(e.linkId().value()).append('\n');
            }
        }
        return out.toString();
    }

    private static String scalar(String text) {
        boolean plain = PLAIN.matcher(text).matches() && !RESERVED.contains(text.toLowerCase(Locale.ROOT));
        return plain ? text : quoted(text);
    }

    /**
     * A YAML double-quoted scalar. <code>${</code> is written <code>$${</code> because the loader
     * substitutes variables in every value.
     */
    private static String quoted(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '$':
                    out.append(text.startsWith("${", i) ? "$$" : "$");
                    break;
                default:
                    if (needsEscape(text, i)) {
                        out.append(String.format("\\u%04X", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        return out.append('"').toString();
    }

    /**
     * Control characters, YAML 1.1 line breaks, byte order marks, the two non-characters YAML refuses raw
     * ({@code U+FFFE}, {@code U+FFFF}) and lone surrogates.
     */
    private static boolean needsEscape(String text, int i) {
        char c = text.charAt(i);
        if (c < 0x20 || c >= 0x7F && c <= 0x9F || c == '\u2028' || c == '\u2029' || c == '\uFEFF'
                || c == '\uFFFE' || c == '\uFFFF') {
            return true;
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(text.charAt(i - 1));
        }
        return false;
    }

    /** The temporary file is created owner-only; keep the mode an operator gave the file. */
    private static void copyPermissions(Path from, Path to) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(to, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        Set<PosixFilePermission> permissions;
        if (Files.exists(from)) {
            permissions = Files.getPosixFilePermissions(from);
        } else {
            permissions = Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
        }
        view.setPermissions(permissions);
    }

    private static void forceFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems and platforms cannot open or sync a directory; the rename is then as
            // durable as they make it, and the write itself has already succeeded.
        }
    }

    private static boolean isReadOnlyFileSystem(FileSystemException e) {
        String reason = e.getReason();
        return reason != null && reason.toLowerCase(Locale.ROOT).contains("read-only file system");
    }
}
