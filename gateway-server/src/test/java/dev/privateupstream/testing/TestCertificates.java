package dev.privateupstream.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A certificate authority made at test time with the {@code openssl} command, as an operator would make
 * one, and the server certificates it issues: no key material is checked in.
 */
public final class TestCertificates {
    private final Path dir;
    private final Path caCertificate;
    private final Path caKey;

    /** A certificate and its private key, PEM. */
    public record Issued(Path certificate, Path privateKey) {
    }

    private TestCertificates(Path dir, Path caCertificate, Path caKey) {
        this.dir = dir;
        this.caCertificate = caCertificate;
        this.caKey = caKey;
    }

    /** A new CA named {@code /CN=name} in {@code dir} (EC P-256, valid two days). */
    public static TestCertificates create(Path dir, String name) throws IOException, InterruptedException {
        return create(dir, name, 2);
    }

    /** A new CA named {@code /CN=name} in {@code dir}, valid {@code days} days from now. */
    public static TestCertificates create(Path dir, String name, int days) throws IOException, InterruptedException {
        final Path certificate = dir.resolve(name + "-ca.pem");
        final Path key = dir.resolve(name + "-ca.key");
        ExternalProcess.check(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(), "-out", certificate.toString(),
                "-days", Integer.toString(days), "-subj", "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return new TestCertificates(dir, certificate, key);
    }

    public Path caCertificate() {
        return caCertificate;
    }

    /**
     * A server certificate for {@code /CN=commonName} with the given subject alternative names
     * ({@code DNS:localhost}, {@code IP:127.0.0.1}), signed by this CA, written to {@code file.pem} and
     * {@code file.key} (PKCS#8).
     */
    public Issued issue(String file, String commonName, String... subjectAltNames)
            throws IOException, InterruptedException {
        return issueFor("serverAuth", file, commonName, subjectAltNames);
    }

    /**
     * Like {@link #issue(String, String, String...)} for other uses: {@code extendedKeyUsage} is openssl's
     * list, such as {@code clientAuth} for a client certificate or {@code serverAuth,clientAuth} for a server
     * that also connects to itself as a client (etcd's gateway does); no subject alternative names for none.
     */
    public Issued issueFor(String extendedKeyUsage, String file, String commonName, String... subjectAltNames)
            throws IOException, InterruptedException {
        return issue(2, extendedKeyUsage, file, commonName, subjectAltNames);
    }

    /** Like {@link #issue(String, String, String...)}, valid {@code days} days from now. */
    public Issued issueValidFor(int days, String file, String commonName, String... subjectAltNames)
            throws IOException, InterruptedException {
        return issue(days, "serverAuth", file, commonName, subjectAltNames);
    }

    private Issued issue(int days, String extendedKeyUsage, String file, String commonName,
            String... subjectAltNames) throws IOException, InterruptedException {
        final Path key = dir.resolve(file + ".key");
        final Path request = dir.resolve(file + ".csr");
        final Path certificate = dir.resolve(file + ".pem");
        final Path extensions = dir.resolve(file + ".ext");
        Files.writeString(extensions, (subjectAltNames.length == 0 ? ""
                : "subjectAltName=" + String.join(",", subjectAltNames) + "\n")
                + "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                + "extendedKeyUsage=" + extendedKeyUsage + "\n");
        ExternalProcess.check(dir, "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(), "-out", request.toString(),
                "-subj", "/CN=" + commonName);
        ExternalProcess.check(dir, "openssl", "x509", "-req", "-in", request.toString(), "-CA",
                caCertificate.toString(), "-CAkey", caKey.toString(), "-set_serial",
                "0x" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE), "-days",
                Integer.toString(days),
                "-extfile", extensions.toString(), "-out", certificate.toString());
        return new Issued(certificate, key);
    }

    /**
     * Replaces {@code target}'s files with {@code source}'s, each by an atomic rename, as a certificate
     * manager rotating a secret does.
     */
    public static void replace(Issued target, Issued source) throws IOException {
        for (Path[] pair : new Path[][] {{source.certificate(), target.certificate()},
            {source.privateKey(), target.privateKey()}}) {
            final Path temporary = pair[1].resolveSibling(pair[1].getFileName() + ".new");
            Files.copy(pair[0], temporary, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temporary, pair[1], StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
