package dev.privateupstream.config;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads the PEM files TLS is configured with ({@code listen.tls}, {@code upstreams[].caFile}): certificate
 * chains and unencrypted private keys.
 *
 * <p>Validation and the server read files through the same code, so a file that validates is a file the
 * server can load. Keys may be PKCS#8 ({@code BEGIN PRIVATE KEY}, what {@code openssl genpkey} writes),
 * PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}) or SEC1 EC ({@code BEGIN EC PRIVATE KEY}, what
 * {@code openssl ecparam -genkey} writes); the last two are rewrapped as PKCS#8, which every TLS provider
 * accepts. Encrypted keys are refused: there is no setting for their password.
 */
public final class PemFiles {
    private static final String BEGIN = "-----BEGIN ";
    private static final String END = "-----END ";
    private static final String DASHES = "-----";

    /** rsaEncryption, 1.2.840.113549.1.1.1, DER-encoded. */
    private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01,
        0x01, 0x01};
    /** id-ecPublicKey, 1.2.840.10045.2.1, DER-encoded. */
    private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    private static final byte[] DER_NULL = {0x05, 0x00};

    private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"};

    private PemFiles() {
    }

    /** One {@code -----BEGIN LABEL-----} block, decoded. */
    private record Block(String label, byte[] der, boolean encrypted) {
    }

    /**
     * The certificates of a PEM file, in file order (a chain: leaf first).
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static List<X509Certificate> certificates(Path file) {
        return certificates(read(file), file.toString());
    }

    /** Like {@link #certificates(Path)} on bytes already read; {@code source} names them in messages. */
    public static List<X509Certificate> certificates(byte[] pem, String source) {
        requireNonNull(pem, "pem");
        final List<X509Certificate> certificates = new ArrayList<>();
        final CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("no X.509 certificate factory in this JVM", e);
        }
        for (Block block : blocks(pem, source)) {
            if (!block.label().equals("CERTIFICATE")) {
                continue;
            }
            try {
                certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
            } catch (CertificateException | ClassCastException e) {
                throw new IllegalArgumentException(source + ": certificate " + (certificates.size() + 1)
                        + " cannot be read: " + e.getMessage() + " (expected: PEM X.509 certificates)");
            }
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(source + ": no certificate (expected: one or more PEM blocks "
                    + "-----BEGIN CERTIFICATE-----)");
        }
        return List.copyOf(certificates);
    }

    /**
     * The private key of a PEM file.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static PrivateKey privateKey(Path file) {
        return privateKey(read(file), file.toString());
    }

    /** Like {@link #privateKey(Path)} on bytes already read; {@code source} names them in messages. */
    public static PrivateKey privateKey(byte[] pem, String source) {
        requireNonNull(pem, "pem");
        final String expected = " (expected: one unencrypted PEM private key: BEGIN PRIVATE KEY, "
                + "BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)";
        Block key = null;
        for (Block block : blocks(pem, source)) {
            if (!block.label().endsWith("PRIVATE KEY")) {
                continue; // certificates or EC PARAMETERS next to the key are fine
            }
            if (key != null) {
                throw new IllegalArgumentException(source + ": more than one private key" + expected);
            }
            key = block;
        }
        if (key == null) {
            throw new IllegalArgumentException(source + ": no private key" + expected);
        }
        if (key.encrypted() || key.label().equals("ENCRYPTED PRIVATE KEY")) {
            throw new IllegalArgumentException(source + ": the private key is encrypted, and there is no "
                    + "setting for its password" + expected);
        }
        final byte[] pkcs8;
        try {
            switch (key.label()) {
                case "PRIVATE KEY":
                    pkcs8 = key.der();
                    break;
                case "RSA PRIVATE KEY":
                    pkcs8 = pkcs8(concat(RSA_OID, DER_NULL), key.der());
                    break;
                case "EC PRIVATE KEY":
                    pkcs8 = pkcs8(concat(EC_OID, sec1Curve(key.der())), key.der());
                    break;
                default:
                    pkcs8 = null;
                    break;
            }
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": the " + key.label() + " cannot be read: "
                    + e.getMessage() + expected);
        }
        if (pkcs8 == null) {
            throw new IllegalArgumentException(source + ": unsupported key type " + key.label() + expected);
        }
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException e) {
                // Not this algorithm; PKCS#8 names it, but the JDK makes us ask each factory.
            }
        }
        throw new IllegalArgumentException(source + ": the private key cannot be read by any of "
                + String.join(", ", KEY_ALGORITHMS) + expected);
    }

    /**
     * When the first of {@code certificates} expires: the earliest {@code notAfter}, after which a chain stops
     * verifying (and a set of trust roots stops trusting what that root signed).
     *
     * @throws IllegalArgumentException when {@code certificates} is empty
     */
    public static Instant earliestExpiry(List<X509Certificate> certificates) {
        return certificates.stream().map(c -> c.getNotAfter().toInstant()).min(Instant::compareTo)
                .orElseThrow(() -> new IllegalArgumentException("certificates: [] (expected: at least one)"));
    }

    /**
     * Checks that {@code key} is the private half of {@code certificate}'s public key, by signing and
     * verifying a random challenge (the one check that works the same for every key type).
     *
     * @throws IllegalArgumentException if it is not
     */
    public static void checkKeyPair(X509Certificate certificate, PrivateKey key, String keySource) {
        final PublicKey publicKey = certificate.getPublicKey();
        final String algorithm = signatureAlgorithm(key);
        if (algorithm == null) {
            return; // an exotic key type: the TLS provider will refuse a mismatch at its first handshake
        }
        final byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        boolean matches;
        try {
            final Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new IllegalArgumentException(keySource + ": the private key does not belong to the certificate "
                    + certificate.getSubjectX500Principal().getName() + " (expected: the key of the first "
                    + "certificate in the chain)");
        }
    }

    private static String signatureAlgorithm(PrivateKey key) {
        switch (key.getAlgorithm()) {
            case "RSA":
                return "SHA256withRSA";
            case "EC":
                return "SHA256withECDSA";
            case "Ed25519":
            case "Ed448":
            case "EdDSA":
                return key.getAlgorithm();
            default:
                return null;
        }
    }

    private static byte[] read(Path file) {
        requireNonNull(file, "file");
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static List<Block> blocks(byte[] pem, String source) {
        final String text = new String(pem, StandardCharsets.US_ASCII);
        final List<Block> blocks = new ArrayList<>();
        int at = 0;
        while ((at = text.indexOf(BEGIN, at)) >= 0) {
            final int labelStart = at + BEGIN.length();
            final int labelEnd = text.indexOf(DASHES, labelStart);
            if (labelEnd < 0) {
                throw new IllegalArgumentException(source + ": unterminated -----BEGIN line");
            }
            final String label = text.substring(labelStart, labelEnd);
            final String end = END + label + DASHES;
            final int bodyEnd = text.indexOf(end, labelEnd);
            if (bodyEnd < 0) {
                throw new IllegalArgumentException(source + ": no " + end + " line");
            }
            String body = text.substring(labelEnd + DASHES.length(), bodyEnd);
            // RFC 1421 encapsulated headers (Proc-Type: 4,ENCRYPTED, DEK-Info) end at an empty line.
            final boolean encrypted = body.contains("Proc-Type:") && body.contains("ENCRYPTED");
            final int headers = body.indexOf(':');
            if (headers >= 0) {
                final int blank = body.replace("\r", "").indexOf("\n\n");
                body = blank >= 0 ? body.replace("\r", "").substring(blank + 2) : "";
            }
            try {
                blocks.add(new Block(label, Base64.getMimeDecoder().decode(body), encrypted));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": the " + label + " block is not valid base64");
            }
            at = bodyEnd + end.length();
        }
        return blocks;
    }

    // DER, just enough to rewrap PKCS#1 and SEC1 keys as PKCS#8 (RFC 5208, RFC 5915).

    /** PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier, privateKey OCTET STRING }. */
    private static byte[] pkcs8(byte[] algorithmContents, byte[] privateKey) {
        final byte[] version = {0x02, 0x01, 0x00};
        return tlv(0x30, concat(version, tlv(0x30, algorithmContents), tlv(0x04, privateKey)));
    }

    /**
     * The named-curve OID of a SEC1 ECPrivateKey: SEQUENCE { version, privateKey OCTET STRING,
     * [0] parameters, [1] publicKey }.
     */
    private static byte[] sec1Curve(byte[] der) {
        int[] at = {0};
        expectTag(der, at, 0x30);
        readLength(der, at);
        skip(der, at, 0x02); // version
        skip(der, at, 0x04); // privateKey
        if (at[0] < der.length && (der[at[0]] & 0xff) == 0xa0) {
            at[0]++;
            readLength(der, at);
            final int oidStart = at[0];
            skip(der, at, 0x06);
            final byte[] oid = new byte[at[0] - oidStart];
            System.arraycopy(der, oidStart, oid, 0, oid.length);
            return oid;
        }
        throw new IllegalArgumentException("the EC PRIVATE KEY names no curve");
    }

    private static void expectTag(byte[] der, int[] at, int tag) {
        if ((der[at[0]] & 0xff) != tag) {
            throw new IndexOutOfBoundsException("unexpected DER tag");
        }
        at[0]++;
    }

    private static void skip(byte[] der, int[] at, int tag) {
        expectTag(der, at, tag);
        final int length = readLength(der, at);
        at[0] += length;
        if (at[0] > der.length) {
            throw new IndexOutOfBoundsException("DER value runs past the end");
        }
    }

    private static int readLength(byte[] der, int[] at) {
        final int first = der[at[0]++] & 0xff;
        if (first < 0x80) {
            return first;
        }
        final int bytes = first & 0x7f;
        if (bytes == 0 || bytes > 3) {
            throw new IndexOutOfBoundsException("unsupported DER length");
        }
        int length = 0;
        for (int i = 0; i < bytes; i++) {
            length = length << 8 | der[at[0]++] & 0xff;
        }
        return length;
    }

    private static byte[] tlv(int tag, byte[] value) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
        out.write(tag);
        final int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >>> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >>> 16);
            out.write(n >>> 8);
            out.write(n);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
