package dev.privateupstream.testing;

import dev.privateupstream.config.PemFiles;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

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
     * A JDK client context that trusts the certificates of {@code trusted} (PEM) and, unless {@code client} is
     * {@code null}, presents that client certificate whenever a server asks for one, whichever CAs the server
     * names: so a certificate of the wrong CA really reaches the server, as curl's {@code --cert} does,
     * instead of being held back by the JDK's choice of a matching one.
     */
    public static SSLContext clientContext(Path trusted, Issued client) throws IOException {
        try {
            final KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (X509Certificate certificate : PemFiles.certificates(trusted)) {
                trust.setCertificateEntry("trusted-" + i++, certificate);
            }
            final TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(
                    TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trust);
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(client == null ? null : new KeyManager[] {new AlwaysPresented(
                    PemFiles.certificates(client.certificate()), PemFiles.privateKey(client.privateKey()))},
                    trustManagers.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make a TLS client context: " + e, e);
        }
    }

    /** Offers its one certificate to every server that asks for a client certificate. */
    private static final class AlwaysPresented extends X509ExtendedKeyManager {
        private static final String ALIAS = "client";
        private final X509Certificate[] chain;
        private final PrivateKey key;

        AlwaysPresented(List<X509Certificate> chain, PrivateKey key) {
            this.chain = chain.toArray(X509Certificate[]::new);
            this.key = key;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return ALIAS;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return ALIAS;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {ALIAS};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return chain.clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return key;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
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
