package dev.privateupstream.proxy;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.privateupstream.config.ConfigLoader;
import dev.privateupstream.policy.DenyReason;
import dev.privateupstream.policy.PolicySnapshot;
import dev.privateupstream.signalr.SignatureVerifier;
import dev.privateupstream.testing.TestGateway;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Coverage-guided fuzzing (Jazzer) of the {@code X-ASRS-Signature} check of a SignalR upstream call (SPEC §6a)
 * from the bytes on the wire: a request head with a fuzzed {@code X-ASRS-Connection-Id} and zero to two
 * {@code X-ASRS-Signature} lines of signed, re-cased, wrong-key, altered, cut, blank and raw entries goes through
 * the gateway's own request decoder, then {@link SignalRCheckHandler#check} under {@code requireSignature} with
 * two access keys (one of them not ASCII).
 *
 * <p>The verifier is the code {@code CloudEventsHeaderFuzzTest#onlyEntriesSignedWithAKeyPass} fuzzes for
 * {@code ce-signature} ({@link SignatureVerifier#checkWireValue}, same parsing, same rules); this target adds what
 * differs for SignalR: the header names, the configuration that builds the verifier, and the values as the
 * decoder hands them over (one char per byte, spaces and tabs around them removed, the first of repeated lines).
 * The answer equals an oracle's: {@code missing-signature} when the first signature line is absent or blank,
 * none (forwarded) when an entry of it, trimmed of spaces and tabs, equals {@code sha256=} and the hex
 * HMAC-SHA256 of the connection id's bytes under a key, ignoring case, else {@code invalid-signature}.
 *
 * <p>In the default build only the seeds under {@code SignalRSignatureFuzzTestInputs/} run; {@code JAZZER_FUZZ=1}
 * fuzzes (see the README, "Fuzzing").
 */
class SignalRSignatureFuzzTest {
    private static final String KEY_1 = "primary-access-key-0123456789";
    private static final String KEY_2 = "secondary-cl\u00e9";
    private static final String OTHER_KEY = "not-a-configured-key";
    private static final PolicySnapshot SNAPSHOT = snapshot();
    private static final String[] SEPARATORS = {",", ", ", " , ", ",\t", ",,"};

    private static PolicySnapshot snapshot() {
        try {
            final Path dir = Files.createTempDirectory("signature-fuzz");
            dir.toFile().deleteOnExit();
            final String upstream = TestGateway.upstream("func-a", TestGateway.RESOURCE, "http://127.0.0.1:9", "")
                    + TestGateway.upstream("func-b", TestGateway.OTHER_RESOURCE, "http://127.0.0.1:9", "");
            final String signalr = "signalr:\n  accessKeys: [ \"" + KEY_1 + "\", \"" + KEY_2 + "\" ]\n"
                    + "  requireSignature: true\n  validateRequests: false\n";
            Files.writeString(dir.resolve("gateway.yaml"), TestGateway.gatewayYaml(upstream, signalr));
            Files.writeString(dir.resolve("endpoints.yaml"), TestGateway.STANDARD_ENDPOINTS);
            return PolicySnapshot.of(new ConfigLoader(Map.of()).load(dir.resolve("gateway.yaml")), 1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void onlyCallsSignedWithAKeyPass(FuzzedDataProvider data) {
        final int idShape = data.consumeInt(0, 3);
        final byte[] id = switch (idShape) {
            case 0 -> data.consumeString(48).getBytes(UTF_8);
            case 1 -> data.consumeBytes(48);
            default -> new byte[0];
        };
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        head.writeBytes("POST /api/chat HTTP/1.1\r\nHost: func-a.example\r\nContent-Length: 0\r\n"
                .getBytes(ISO_8859_1));
        boolean oneLineEach = true;
        if (idShape != 2) {
            final byte[] value = padded(data, id);
            oneLineEach = !breaksLines(value);
            line(head, data.consumeBoolean() ? "x-asrs-connection-id" : "X-ASRS-Connection-Id", value);
        }
        final int lines = data.consumeInt(0, 2);
        byte[] first = null;
        for (int i = 0; i < lines; i++) {
            final ByteArrayOutputStream value = new ByteArrayOutputStream();
            for (int n = data.consumeInt(1, 3); n > 0; n--) {
                value.writeBytes(entry(data, trim(id)));
                value.writeBytes(data.pickValue(SEPARATORS).getBytes(ISO_8859_1));
            }
            final byte[] padded = padded(data, value.toByteArray());
            oneLineEach &= !breaksLines(padded);
            first = first == null ? padded : first;
            line(head, "X-ASRS-Signature", padded);
        }
        head.writeBytes(new byte[] {'\r', '\n'});
        if (!oneLineEach) {
            return; // a CR or LF inside a value makes other lines, or another request: the framing's tests' concern
        }

        final HttpRequest request = decode(head.toByteArray());
        if (request == null) {
            return; // the decoder refused the head (a control byte in a value): never checked
        }
        try {
            final DenyReason actual = SignalRCheckHandler.check(request, SNAPSHOT);
            final DenyReason expected = expected(idShape == 2 ? null : trim(id), first == null ? null : trim(first));
            if (actual != expected) {
                throw new AssertionError("answered " + actual + ", expected " + expected + " for "
                        + new String(head.toByteArray(), ISO_8859_1));
            }
        } finally {
            ReferenceCountUtil.release(request);
        }
    }

    /** SPEC §6a over the bytes sent: the first signature line, its comma-separated entries, two keys. */
    private static DenyReason expected(byte[] id, byte[] signature) {
        if (signature == null || signature.length == 0) {
            return DenyReason.MISSING_SIGNATURE;
        }
        if (id == null || id.length == 0) {
            return DenyReason.INVALID_SIGNATURE;
        }
        for (String entry : new String(signature, ISO_8859_1).split(",", -1)) {
            for (String key : List.of(KEY_1, KEY_2)) {
                final String trimmed = new String(trim(entry.getBytes(ISO_8859_1)), ISO_8859_1);
                if (trimmed.equalsIgnoreCase("sha256=" + hmac(key, id))) {
                    return null;
                }
            }
        }
        return DenyReason.INVALID_SIGNATURE;
    }

    /** One entry as the service, a stale key, a careless proxy or an attacker would write it. */
    private static byte[] entry(FuzzedDataProvider data, byte[] id) {
        final String signed = "sha256=" + hmac(data.consumeBoolean() ? KEY_1 : KEY_2, id);
        return switch (data.consumeInt(0, 7)) {
            case 0, 1 -> signed.getBytes(ISO_8859_1);
            case 2 -> signed.toUpperCase(Locale.ROOT).getBytes(ISO_8859_1);
            case 3 -> ("sha256=" + hmac(OTHER_KEY, id)).getBytes(ISO_8859_1);
            case 4 -> {
                final byte[] bytes = signed.getBytes(ISO_8859_1);
                bytes[data.consumeInt(0, bytes.length - 1)] = data.consumeByte();
                yield bytes;
            }
            case 5 -> signed.substring(0, data.consumeInt(0, signed.length() - 1)).getBytes(ISO_8859_1);
            case 6 -> data.consumeBytes(80);
            default -> " \t".getBytes(ISO_8859_1);
        };
    }

    private static byte[] padded(FuzzedDataProvider data, byte[] value) {
        final String[] pads = {"", " ", "  ", "\t", " \t"};
        final byte[] before = data.pickValue(pads).getBytes(ISO_8859_1);
        final byte[] after = data.pickValue(pads).getBytes(ISO_8859_1);
        final byte[] out = Arrays.copyOf(before, before.length + value.length + after.length);
        System.arraycopy(value, 0, out, before.length, value.length);
        System.arraycopy(after, 0, out, before.length + value.length, after.length);
        return out;
    }

    private static void line(ByteArrayOutputStream head, String name, byte[] value) {
        head.writeBytes((name + ":").getBytes(ISO_8859_1));
        head.writeBytes(value);
        head.writeBytes(new byte[] {'\r', '\n'});
    }

    /** Without spaces and tabs around it, as a field value is read (RFC 9110 5.5). */
    private static byte[] trim(byte[] value) {
        int from = 0;
        int to = value.length;
        while (from < to && (value[from] == ' ' || value[from] == '\t')) {
            from++;
        }
        while (to > from && (value[to - 1] == ' ' || value[to - 1] == '\t')) {
            to--;
        }
        return Arrays.copyOfRange(value, from, to);
    }

    /** Whether {@code value} holds a CR or LF. */
    private static boolean breaksLines(byte[] value) {
        for (byte b : value) {
            if (b == '\r' || b == '\n') {
                return true;
            }
        }
        return false;
    }

    private static HttpRequest decode(byte[] head) {
        final EmbeddedChannel channel = new EmbeddedChannel(new StrictHttpRequestDecoder(8192, 65536));
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(head));
            HttpRequest request = null;
            Object msg;
            while ((msg = channel.readInbound()) != null) {
                if (request == null && msg instanceof HttpRequest r && r.decoderResult().isSuccess()) {
                    request = r;
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            return request;
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static String hmac(String key, byte[] message) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
