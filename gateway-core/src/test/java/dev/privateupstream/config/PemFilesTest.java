package dev.privateupstream.config;

import static dev.privateupstream.config.TestPem.certificateFor;
import static dev.privateupstream.config.TestPem.openssl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PemFiles} on what {@code openssl} writes: every key format an operator is likely to have, chains,
 * and the mistakes (encrypted, mismatched, empty, not PEM).
 */
class PemFilesTest {
    @TempDir
    Path dir;

    private Path key(String name, String... genArguments) throws Exception {
        final Path key = dir.resolve(name);
        final String[] command = new String[genArguments.length + 2];
        System.arraycopy(genArguments, 0, command, 0, genArguments.length);
        command[genArguments.length] = "-out";
        command[genArguments.length + 1] = key.toString();
        openssl(dir, command);
        return key;
    }

    private void assertKeyOfItsCertificate(Path key, String expectedAlgorithm) throws Exception {
        final Path certificate = dir.resolve(key.getFileName() + ".pem");
        certificateFor(key, certificate, "test");
        final PrivateKey parsed = PemFiles.privateKey(key);
        assertThat(parsed.getAlgorithm()).isEqualTo(expectedAlgorithm);
        final X509Certificate leaf = PemFiles.certificates(certificate).get(0);
        PemFiles.checkKeyPair(leaf, parsed, key.toString()); // does not throw
    }

    @Test
    void readsPkcs8Pkcs1AndSec1Keys() throws Exception {
        assertKeyOfItsCertificate(key("ec-pkcs8.key", "genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-256"), "EC");
        assertKeyOfItsCertificate(key("rsa-pkcs8.key", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                "rsa_keygen_bits:2048"), "RSA");
        final Path pkcs1 = key("rsa-pkcs1.key", "genrsa", "-traditional");
        assertThat(Files.readString(pkcs1)).contains("BEGIN RSA PRIVATE KEY");
        assertKeyOfItsCertificate(pkcs1, "RSA");
        // ecparam writes an EC PARAMETERS block before the SEC1 key.
        final Path sec1 = key("ec-sec1.key", "ecparam", "-name", "secp384r1", "-genkey");
        assertThat(Files.readString(sec1)).contains("BEGIN EC PARAMETERS", "BEGIN EC PRIVATE KEY");
        assertKeyOfItsCertificate(sec1, "EC");
        assertKeyOfItsCertificate(key("ed25519.key", "genpkey", "-algorithm", "ed25519"), "EdDSA");
    }

    @Test
    void readsAChainInFileOrder() throws Exception {
        final Path a = key("a.key", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        final Path b = key("b.key", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        certificateFor(a, dir.resolve("a.pem"), "leaf");
        certificateFor(b, dir.resolve("b.pem"), "issuer");
        final Path chain = dir.resolve("chain.pem");
        Files.writeString(chain, Files.readString(dir.resolve("a.pem")) + Files.readString(dir.resolve("b.pem")));

        final List<X509Certificate> certificates = PemFiles.certificates(chain);
        assertThat(certificates).extracting(c -> c.getSubjectX500Principal().getName())
                .containsExactly("CN=leaf", "CN=issuer");
    }

    @Test
    void earliestExpiryIsTheSoonestNotAfterWhereverItStandsInTheFile() throws Exception {
        final Path a = key("a.key", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        final Path b = key("b.key", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        openssl(dir, "req", "-x509", "-key", a.toString(), "-out", "long.pem", "-days", "30", "-subj", "/CN=long");
        openssl(dir, "req", "-x509", "-key", b.toString(), "-out", "short.pem", "-days", "3", "-subj", "/CN=short");
        final Path both = dir.resolve("both.pem");
        Files.writeString(both, Files.readString(dir.resolve("long.pem")) + Files.readString(dir.resolve("short.pem")));

        final List<X509Certificate> certificates = PemFiles.certificates(both);
        assertThat(certificates.get(0).getNotAfter()).isAfter(certificates.get(1).getNotAfter());
        assertThat(PemFiles.earliestExpiry(certificates)).isEqualTo(certificates.get(1).getNotAfter().toInstant());
        assertThatThrownBy(() -> PemFiles.earliestExpiry(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: at least one");
    }

    @Test
    void refusesAKeyOfAnotherCertificate() throws Exception {
        final Path a = key("a.key", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        final Path b = key("b.key", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        certificateFor(a, dir.resolve("a.pem"), "a");
        assertThatThrownBy(() -> PemFiles.checkKeyPair(PemFiles.certificates(dir.resolve("a.pem")).get(0),
                PemFiles.privateKey(b), "b.key"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong to the certificate CN=a");
    }

    @Test
    void refusesEncryptedKeys() throws Exception {
        final Path pkcs8 = key("enc8.key", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-aes-128-cbc", "-pass", "pass:secret");
        final Path legacy = key("enc1.key", "genrsa", "-traditional", "-aes128", "-passout", "pass:secret");
        assertThat(Files.readString(legacy)).contains("Proc-Type: 4,ENCRYPTED");
        for (Path key : List.of(pkcs8, legacy)) {
            assertThatThrownBy(() -> PemFiles.privateKey(key)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("encrypted");
        }
    }

    @Test
    void refusesFilesWithoutWhatIsAsked() throws Exception {
        final Path key = key("k.key", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        final Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        final Path text = Files.writeString(dir.resolve("text.pem"), "certificate");
        final Path broken = Files.writeString(dir.resolve("broken.pem"),
                "-----BEGIN CERTIFICATE-----\n!!!notbase64!!!\n-----END CERTIFICATE-----\n");
        final Path unterminated = Files.writeString(dir.resolve("cut.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n");
        final Path notDer = Files.writeString(dir.resolve("notder.pem"),
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        assertThatThrownBy(() -> PemFiles.certificates(key)).hasMessageContaining("no certificate");
        assertThatThrownBy(() -> PemFiles.certificates(empty)).hasMessageContaining("no certificate");
        assertThatThrownBy(() -> PemFiles.certificates(text)).hasMessageContaining("no certificate");
        assertThatThrownBy(() -> PemFiles.certificates(broken)).hasMessageContaining("not valid base64");
        assertThatThrownBy(() -> PemFiles.certificates(unterminated)).hasMessageContaining("no -----END CERTIFICATE");
        assertThatThrownBy(() -> PemFiles.certificates(notDer)).hasMessageContaining("cannot be read");
        assertThatThrownBy(() -> PemFiles.privateKey(empty)).hasMessageContaining("no private key");
        assertThatThrownBy(() -> PemFiles.privateKey(dir.resolve("missing.key"))).hasMessageContaining("cannot read");
        final Path two = Files.writeString(dir.resolve("two.key"), Files.readString(key) + Files.readString(key));
        assertThatThrownBy(() -> PemFiles.privateKey(two)).hasMessageContaining("more than one private key");
    }
}
