package dev.privateupstream.webpubsub;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.privateupstream.headers.HeaderText;
import dev.privateupstream.signalr.SignatureCheck;
import dev.privateupstream.signalr.SignatureVerifier;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing (Jazzer) of what the gateway runs on every Web PubSub call's headers (SPEC §13):
 * {@link WebPubSubEventCheck#check} and {@link WebPubSubEventCheck#category}, {@link AllowedOrigins#match},
 * {@link HeaderText#isMediaType} and the {@code ce-signature} check
 * ({@link SignatureVerifier#checkWireValue}). Whatever the headers, each returns and never throws, and its
 * answer equals an oracle written here from the SPEC's words with plain {@link String} methods.
 *
 * <p>Netty's HTTP/1 decoder hands header bytes over one char per byte, so values pass through {@link #wire}
 * (the UTF-8 the service sends, read as ISO-8859-1) where the oracle needs that range. Each input is read with
 * {@link FuzzedDataProvider}: strings from the front ({@code consumeString}: a backslash followed by any other
 * byte ends one, two backslashes are one), choices from the end; an input without choice bytes takes every
 * string as it is, so most committed seeds under {@code CloudEventsHeaderFuzzTestInputs/} are plain text. In the
 * default build only those seeds run; {@code JAZZER_FUZZ=1} fuzzes one method (see the README, "Fuzzing").
 */
class CloudEventsHeaderFuzzTest {
    /** The most chars one fuzzed header value takes. */
    private static final int MAX_VALUE = 100;

    // ---- WebPubSubEventCheck -------------------------------------------------------------------------------

    /** The arguments of {@link WebPubSubEventCheck#check}, in order, for messages. */
    private static final String[] EVENT_HEADERS = {"method", "ce-specversion", "ce-type", "ce-id", "ce-hub",
        "ce-connectionId", "ce-eventName", "Content-Type"};
    /** A good start for each, so the fuzzer gets past the earlier checks often. */
    private static final String[] EVENT_GOOD = {"POST", "1.0", "azure.webpubsub.", "1", "chat", "conn-1",
        "connect", "application/json"};

    /**
     * Eight header values (method first, {@code Content-Type} last), then from the end: two bits per value
     * (0 as fuzzed, 1 absent, 2 a good value followed by the fuzzed text, 3 the fuzzed text followed by it),
     * whether the values pass through {@link #wire}, whether they are handed over as {@link StringBuilder}s.
     */
    @FuzzTest(maxDuration = "10m")
    void eventCheckFollowsTheRules(FuzzedDataProvider data) {
        eventCase(data);
    }

    private static WebPubSubEventProblem eventCase(FuzzedDataProvider data) {
        final String[] texts = new String[EVENT_HEADERS.length];
        for (int i = 0; i < texts.length; i++) {
            texts[i] = data.consumeString(MAX_VALUE);
        }
        final int shapes = data.consumeInt(0, 0xFFFF);
        final boolean asWire = data.consumeBoolean();
        final boolean asBuilder = data.consumeBoolean();
        final String[] values = new String[texts.length];
        for (int i = 0; i < texts.length; i++) {
            final String text = asWire ? wire(texts[i]) : texts[i];
            switch (shapes >>> 2 * i & 3) {
                case 0:
                    values[i] = text;
                    break;
                case 1:
                    values[i] = null;
                    break;
                case 2:
                    values[i] = EVENT_GOOD[i] + text;
                    break;
                default:
                    values[i] = text + EVENT_GOOD[i];
                    break;
            }
        }
        return checkEvent(values, asBuilder);
    }

    private static WebPubSubEventProblem checkEvent(String[] values, boolean asBuilder) {
        final CharSequence[] args = asBuilder ? builders(values) : values;
        final WebPubSubEventProblem problem = WebPubSubEventCheck.check(args[0], args[1], args[2], args[3],
                args[4], args[5], args[6], args[7]);
        final Expected expected = expectedProblem(values[0], values[1], values[2], values[3], values[4], values[5],
                values[6], values[7]);
        if (problem == null || problem.httpStatus() != expected.status() || !problem.name().equals(expected.check())
                || problem.isProblem() != (expected.status() != 200)) {
            throw new AssertionError("check(" + describe(values) + ") = " + problem + ", expected " + expected);
        }
        if (problem == WebPubSubEventProblem.NONE) {
            // The same rules read forwards, as the SPEC states them.
            final String media = mediaTypeOf(values[7]);
            final boolean system = values[2].startsWith("azure.webpubsub.sys.");
            if (!values[0].equals("POST") || !values[1].equals("1.0") || !values[2].startsWith("azure.webpubsub.")
                    || values[3].isEmpty() || values[4].isEmpty() || values[5].isEmpty() || values[6].isEmpty()
                    || media == null || (system ? !media.equals("application/json")
                            : !List.of("text/plain", "application/json", "application/octet-stream").contains(media))) {
                throw new AssertionError("accepted " + describe(values));
            }
        }
        final String category = WebPubSubEventCheck.category(args[2]);
        if (!Objects.equals(category, expectedCategory(values[2]))) {
            throw new AssertionError("category(" + escape(values[2]) + ") = " + category + ", expected "
                    + expectedCategory(values[2]));
        }
        return problem;
    }

    /** What the oracle expects: the status and the name of the first check that fails ({@code NONE}: none). */
    private record Expected(int status, String check) {
    }

    /** SPEC §13, "Validation", in its order. */
    private static Expected expectedProblem(String method, String specVersion, String type, String id, String hub,
            String connectionId, String eventName, String contentType) {
        if (!"POST".equals(method)) {
            return new Expected(405, "NOT_POST");
        }
        if (!"1.0".equals(specVersion)) {
            return new Expected(400, "WRONG_SPEC_VERSION");
        }
        if (type == null || !type.startsWith("azure.webpubsub.")) {
            return new Expected(400, "NOT_WEBPUBSUB_TYPE");
        }
        if (id == null || id.isEmpty()) {
            return new Expected(400, "MISSING_ID");
        }
        if (hub == null || hub.isEmpty()) {
            return new Expected(400, "MISSING_HUB");
        }
        if (connectionId == null || connectionId.isEmpty()) {
            return new Expected(400, "MISSING_CONNECTION_ID");
        }
        if (eventName == null || eventName.isEmpty()) {
            return new Expected(400, "MISSING_EVENT_NAME");
        }
        final String media = mediaTypeOf(contentType);
        if (type.startsWith("azure.webpubsub.sys.")) {
            return "application/json".equals(media) ? new Expected(200, "NONE")
                    : new Expected(415, "SYSTEM_EVENT_NOT_JSON");
        }
        final boolean known = "text/plain".equals(media) || "application/json".equals(media)
                || "application/octet-stream".equals(media);
        return known ? new Expected(200, "NONE") : new Expected(415, "USER_EVENT_MEDIA_TYPE");
    }

    private static String expectedCategory(String type) {
        if (type == null || !type.startsWith("azure.webpubsub.")) {
            return null;
        }
        return type.startsWith("azure.webpubsub.sys.") ? "system" : "user";
    }

    // ---- HeaderText.isMediaType ----------------------------------------------------------------------------

    /** The media types asked about; the last one is replaced by a fuzzed one. */
    private static final String[] MEDIA_TYPES = {"application/json", "text/plain", "application/octet-stream",
        "application/x-msgpack", "text/html", "", "a", "fuzzed"};

    /**
     * A {@code Content-Type} value and a fuzzed media type (ASCII lower-cased), then from the end: three picks of
     * {@link #MEDIA_TYPES} (three bits each) and the value's shape (0 as fuzzed, 1 through {@link #wire}, 2 absent,
     * 3 as a {@link StringBuilder}).
     */
    @FuzzTest(maxDuration = "10m")
    void mediaTypesCompareAsDocumented(FuzzedDataProvider data) {
        mediaTypeCase(data);
    }

    private static boolean mediaTypeCase(FuzzedDataProvider data) {
        final String text = data.consumeString(MAX_VALUE);
        final String fuzzedType = asciiLowerCase(data.consumeString(40));
        final int picks = data.consumeInt(0, 0x1FF);
        final int shape = data.consumeInt(0, 3);
        final String[] types = new String[3];
        for (int i = 0; i < types.length; i++) {
            final int pick = picks >>> 3 * i & 7;
            types[i] = pick == MEDIA_TYPES.length - 1 ? fuzzedType : MEDIA_TYPES[pick];
        }
        return checkMediaType(shape == 1 ? wire(text) : shape == 2 ? null : text, shape == 3, types[0], types[1], types[2]);
    }

    private static boolean checkMediaType(String contentType, boolean asBuilder, String first, String second,
            String third) {
        final CharSequence value = asBuilder && contentType != null ? new StringBuilder(contentType) : contentType;
        final String media = mediaTypeOf(contentType);
        final boolean one = HeaderText.isMediaType(value, first);
        final boolean two = HeaderText.isMediaType(value, first, second);
        final boolean three = HeaderText.isMediaType(value, first, second, third);
        final boolean isFirst = first.equals(media);
        final boolean isSecond = second.equals(media);
        final boolean isThird = third.equals(media);
        if (one != isFirst || two != (isFirst || isSecond) || three != (isFirst || isSecond || isThird)) {
            throw new AssertionError("isMediaType(" + escape(contentType) + ", " + escape(first) + ", "
                    + escape(second) + ", " + escape(third) + ") = " + one + ", " + two + ", " + three
                    + "; media type " + escape(media));
        }
        return one;
    }

    /**
     * SPEC §6a/§13: the media type is what precedes the first {@code ;}, without surrounding spaces and tabs
     * (HTTP's optional whitespace), compared in any letter case (ASCII); {@code null} when there is no header.
     */
    private static String mediaTypeOf(String contentType) {
        if (contentType == null) {
            return null;
        }
        final int semicolon = contentType.indexOf(';');
        return asciiLowerCase(stripSpacesAndTabs(semicolon < 0 ? contentType : contentType.substring(0, semicolon)));
    }

    // ---- AllowedOrigins ------------------------------------------------------------------------------------

    private static final String[] ORIGIN_POOL = {"contoso.webpubsub.azure.com", "fabrikam.webpubsub.azure.com:443",
        "a", "x-1.example"};
    /** What {@code GatewayYaml} admits in {@code webpubsub.allowedOrigins}, once trimmed and lower-cased. */
    private static final Pattern CONFIGURED_ORIGIN = Pattern.compile("[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\\d{1,5})?");

    /**
     * The {@code WebHook-Request-Origin} text (through {@link #wire}) and a host to allow (kept only if the
     * configuration would admit it), then from the end: which of {@link #ORIGIN_POOL} are allowed (four bits,
     * flipped on the first so that no choice means {@code contoso.webpubsub.azure.com} only) and whether the
     * header is absent.
     */
    @FuzzTest(maxDuration = "10m")
    void onlyAllowedOriginsAreEchoed(FuzzedDataProvider data) {
        originCase(data);
    }

    private static String originCase(FuzzedDataProvider data) {
        final String header = data.consumeString(2 * MAX_VALUE);
        final String extra = data.consumeString(40).trim().toLowerCase(Locale.ROOT);
        final int pool = data.consumeInt(0, 15) ^ 1;
        final boolean absent = data.consumeBoolean();
        final List<String> allowed = new ArrayList<>();
        for (int i = 0; i < ORIGIN_POOL.length; i++) {
            if ((pool >>> i & 1) != 0) {
                allowed.add(ORIGIN_POOL[i]);
            }
        }
        if (CONFIGURED_ORIGIN.matcher(extra).matches()) {
            allowed.add(extra);
        }
        return matchOrigin(allowed, absent ? null : wire(header));
    }

    private static String matchOrigin(List<String> allowed, String header) {
        final AllowedOrigins origins = new AllowedOrigins(allowed);
        final String answer = origins.match(header);
        final String expected = expectedOrigin(allowed, header);
        if (!Objects.equals(answer, expected) || origins.isEmpty() != allowed.isEmpty()) {
            throw new AssertionError("match(" + escape(header) + ") with " + allowed + " = " + escape(answer)
                    + ", expected " + escape(expected));
        }
        if (answer != null && (!values(header).contains(answer)
                || allowed.stream().noneMatch(answer::equalsIgnoreCase))) {
            throw new AssertionError("answered " + escape(answer) + " for " + escape(header) + " with " + allowed);
        }
        return answer;
    }

    /**
     * SPEC §13, abuse protection: the first of the header's comma-separated values, trimmed, that equals an allowed
     * origin whole and in any letter case, as sent; {@code null} when none does or the header is absent.
     */
    private static String expectedOrigin(List<String> allowed, String header) {
        if (header == null) {
            return null;
        }
        for (String value : values(header)) {
            for (String origin : allowed) {
                if (!value.isEmpty() && value.equalsIgnoreCase(origin)) {
                    return value;
                }
            }
        }
        return null;
    }

    /** The comma-separated values of a header, each trimmed ({@link String#trim}). */
    private static List<String> values(String header) {
        final List<String> values = new ArrayList<>();
        int start = 0;
        int comma;
        while ((comma = header.indexOf(',', start)) >= 0) {
            values.add(header.substring(start, comma).trim());
            start = comma + 1;
        }
        values.add(header.substring(start).trim());
        return values;
    }

    // ---- ce-signature --------------------------------------------------------------------------------------

    private static final String KEY_1 = "primary-access-key";
    /** Keys are signed with as UTF-8: a non-ASCII one checks that too. */
    private static final String KEY_2 = "secondary-kéy";
    private static final String OTHER_KEY = "a key the gateway does not hold";
    private static final List<List<String>> KEY_SETS =
            List.of(List.of(KEY_1, KEY_2), List.of(KEY_1), List.of(KEY_2), List.of());
    private static final List<SignatureVerifier> VERIFIERS =
            KEY_SETS.stream().map(SignatureVerifier::new).collect(Collectors.toList());
    private static final String[] SEPARATORS = {",", ", ", " ,\t", "", ",,"};
    private static final String[] BLANKS = {" ", "\t", " \t ", ""};
    private static final int MAX_ENTRIES = 8;

    /**
     * The connection id as the service holds it (text), then from the end: the key set ({@link #KEY_SETS}), how the
     * id reaches the gateway (0 its UTF-8 through {@link #wire}, 1 each char as one byte, which need not be UTF-8,
     * 2 absent, 3 empty), whether the header is absent, then up to eight entries of the header, each a kind
     * (see {@link #entry}) and a separator ({@link #SEPARATORS}).
     */
    @FuzzTest(maxDuration = "10m")
    void onlyEntriesSignedWithAKeyPass(FuzzedDataProvider data) {
        signatureCase(data);
    }

    private static SignatureCheck signatureCase(FuzzedDataProvider data) {
        final String id = data.consumeString(64);
        final int keySet = data.consumeInt(0, KEY_SETS.size() - 1);
        final int idShape = data.consumeInt(0, 3);
        final boolean absent = data.consumeBoolean();
        final StringBuilder header = new StringBuilder();
        for (int i = 0; i < MAX_ENTRIES && data.remainingBytes() > 0; i++) {
            header.append(entry(data, id)).append(SEPARATORS[data.consumeInt(0, SEPARATORS.length - 1)]);
        }
        final String wireId = idShape == 0 ? wire(id) : idShape == 1 ? latin1(id) : idShape == 2 ? null : "";
        return checkSignature(keySet, wireId, id, absent ? null : header.toString());
    }

    /** One entry of a {@code ce-signature} header, all chars in ISO-8859-1 as Netty hands them over. */
    private static String entry(FuzzedDataProvider data, String id) {
        switch (data.consumeInt(0, 9)) {
            case 0:
                return SignatureVerifier.sign(KEY_1, id);
            case 1:
                return SignatureVerifier.sign(KEY_2, id);
            case 2:
                return SignatureVerifier.sign(KEY_1, id).toUpperCase(Locale.ROOT);
            case 3:
                return mixedCase(SignatureVerifier.sign(KEY_2, id), data.consumeLong());
            case 4:
                return SignatureVerifier.sign(OTHER_KEY, id);
            case 5: {
                final char[] chars = SignatureVerifier.sign(KEY_1, id).toCharArray();
                chars[data.consumeInt(0, chars.length - 1)] = (char) data.consumeInt(0, 0xFF);
                return new String(chars);
            }
            case 6: {
                final String entry = SignatureVerifier.sign(KEY_2, id);
                return entry.substring(0, data.consumeInt(0, entry.length() - 1));
            }
            case 7:
                return wire(data.consumeString(MAX_VALUE));
            case 8:
                return BLANKS[data.consumeInt(0, BLANKS.length - 1)];
            default:
                // The mistake of re-encoding the wire chars as UTF-8: right only for an ASCII id.
                return SignatureVerifier.sign(KEY_1, wire(id));
        }
    }

    private static SignatureCheck checkSignature(int keySet, String wireId, String id, String header) {
        final List<String> keys = KEY_SETS.get(keySet);
        final SignatureVerifier verifier = VERIFIERS.get(keySet);
        final SignatureCheck wire = verifier.checkWireValue(wireId, header);
        final SignatureCheck expectedWire =
                expectedSignature(keys, wireId == null ? null : wireId.getBytes(ISO_8859_1), header);
        if (wire != expectedWire) {
            throw new AssertionError("checkWireValue(" + escape(wireId) + ", " + escape(header) + ") under "
                    + keys.size() + " keys = " + wire + ", expected " + expectedWire);
        }
        // The same header against the id as text, which check() signs as its UTF-8.
        final SignatureCheck text = verifier.check(id, header);
        final SignatureCheck expectedText = expectedSignature(keys, id.getBytes(UTF_8), header);
        if (text != expectedText) {
            throw new AssertionError("check(" + escape(id) + ", " + escape(header) + ") under " + keys.size()
                    + " keys = " + text + ", expected " + expectedText);
        }
        return wire;
    }

    /**
     * SPEC §6a: absent or blank, {@code MISSING}; else {@code VALID} when an entry of the comma-separated header,
     * without surrounding spaces and tabs, equals {@code sha256=} and the hex HMAC-SHA256 of the connection id's
     * bytes under a key, in any letter case; else {@code INVALID}, always so without a connection id or a key.
     */
    private static SignatureCheck expectedSignature(List<String> keys, byte[] connectionId, String header) {
        if (header == null || stripSpacesAndTabs(header).isEmpty()) {
            return SignatureCheck.MISSING;
        }
        if (connectionId == null || connectionId.length == 0) {
            return SignatureCheck.INVALID;
        }
        for (String entry : header.split(",", -1)) {
            for (String key : keys) {
                if (stripSpacesAndTabs(entry).equalsIgnoreCase("sha256=" + hmacHex(key, connectionId))) {
                    return SignatureCheck.VALID;
                }
            }
        }
        return SignatureCheck.INVALID;
    }

    private static String hmacHex(String key, byte[] message) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Upper-cases the chars whose bit (by position, modulo 64) is set. */
    private static String mixedCase(String text, long bits) {
        final StringBuilder mixed = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            mixed.append((bits >>> (i & 63) & 1) != 0 ? Character.toUpperCase(c) : c);
        }
        return mixed.toString();
    }

    // ---- the harness reaches what matters ------------------------------------------------------------------

    /** Every verdict is reachable from the harness, so the properties above are not vacuous. */
    @Test
    void harnessReachesEveryVerdict() {
        final String[] connect = {"POST", "1.0", "azure.webpubsub.sys.connect", "1", "chat", "conn-1", "connect",
            "application/json; charset=utf-8"};
        assertThat(checkEvent(connect, false)).isEqualTo(WebPubSubEventProblem.NONE);
        assertThat(checkEvent(with(connect, 0, "GET"), true)).isEqualTo(WebPubSubEventProblem.NOT_POST);
        assertThat(checkEvent(with(connect, 1, null), false)).isEqualTo(WebPubSubEventProblem.WRONG_SPEC_VERSION);
        assertThat(checkEvent(with(connect, 2, "Azure.WebPubSub.sys.connect"), false))
                .isEqualTo(WebPubSubEventProblem.NOT_WEBPUBSUB_TYPE);
        assertThat(checkEvent(with(connect, 3, ""), false)).isEqualTo(WebPubSubEventProblem.MISSING_ID);
        assertThat(checkEvent(with(connect, 4, null), false)).isEqualTo(WebPubSubEventProblem.MISSING_HUB);
        assertThat(checkEvent(with(connect, 5, ""), false)).isEqualTo(WebPubSubEventProblem.MISSING_CONNECTION_ID);
        assertThat(checkEvent(with(connect, 6, null), false)).isEqualTo(WebPubSubEventProblem.MISSING_EVENT_NAME);
        assertThat(checkEvent(with(connect, 7, "text/plain"), false))
                .isEqualTo(WebPubSubEventProblem.SYSTEM_EVENT_NOT_JSON);
        final String[] message = with(with(connect, 2, "azure.webpubsub.user.message"), 6, "message");
        assertThat(checkEvent(with(message, 7, " \tTEXT/Plain\t; charset=UTF-8"), true))
                .isEqualTo(WebPubSubEventProblem.NONE);
        assertThat(checkEvent(with(message, 7, "application/x-msgpack"), false))
                .isEqualTo(WebPubSubEventProblem.USER_EVENT_MEDIA_TYPE);

        assertThat(checkMediaType(" Application/JSON ;x", false, "text/plain", "application/json", "a")).isFalse();
        assertThat(checkMediaType(" Application/JSON ;x", true, "application/json", "a", "a")).isTrue();

        final List<String> allowed = List.of("contoso.webpubsub.azure.com");
        assertThat(matchOrigin(allowed, " evil.example ,\tContoso.WebPubSub.Azure.com , x"))
                .isEqualTo("Contoso.WebPubSub.Azure.com");
        assertThat(matchOrigin(allowed, "contoso.webpubsub.azure.com.attacker.example")).isNull();
        assertThat(matchOrigin(allowed, null)).isNull();

        final String id = "connexión-1";
        final String upper = SignatureVerifier.sign(KEY_1, id).toUpperCase(Locale.ROOT);
        assertThat(checkSignature(0, wire(id), id, "sha256=00, " + upper)).isEqualTo(SignatureCheck.VALID);
        assertThat(checkSignature(2, wire(id), id, upper)).isEqualTo(SignatureCheck.INVALID);
        assertThat(checkSignature(0, latin1(id), id, upper)).isEqualTo(SignatureCheck.INVALID);
        assertThat(checkSignature(0, wire(id), id, " \t ")).isEqualTo(SignatureCheck.MISSING);
    }

    private static String[] with(String[] values, int index, String value) {
        final String[] copy = values.clone();
        copy[index] = value;
        return copy;
    }

    // ---- text helpers --------------------------------------------------------------------------------------

    /** The UTF-8 bytes of {@code text} one char per byte, as Netty's decoder hands a header value over. */
    private static String wire(String text) {
        return new String(text.getBytes(UTF_8), ISO_8859_1);
    }

    /** Each char cut to its low byte: wire text that need not be UTF-8. */
    private static String latin1(String text) {
        final char[] chars = text.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (char) (chars[i] & 0xFF);
        }
        return new String(chars);
    }

    private static String stripSpacesAndTabs(String text) {
        String stripped = text;
        while (stripped.startsWith(" ") || stripped.startsWith("\t")) {
            stripped = stripped.substring(1);
        }
        while (stripped.endsWith(" ") || stripped.endsWith("\t")) {
            stripped = stripped.substring(0, stripped.length() - 1);
        }
        return stripped;
    }

    /** Lower-cases A to Z only, as HTTP's case-insensitive tokens do. */
    private static String asciiLowerCase(String text) {
        final StringBuilder lower = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            lower.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        }
        return lower.toString();
    }

    private static CharSequence[] builders(String[] values) {
        final CharSequence[] builders = new CharSequence[values.length];
        for (int i = 0; i < values.length; i++) {
            builders[i] = values[i] == null ? null : new StringBuilder(values[i]);
        }
        return builders;
    }

    private static String describe(String[] values) {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            text.append(i == 0 ? "" : ", ").append(EVENT_HEADERS[i]).append('=').append(escape(values[i]));
        }
        return text.toString();
    }

    /** Quoted, with every char outside printable ASCII as {@code \\uXXXX}, for failure messages. */
    private static String escape(String text) {
        if (text == null) {
            return "null";
        }
        final StringBuilder escaped = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            escaped.append(c >= 0x20 && c < 0x7F && c != '"' && c != '\\' ? String.valueOf(c)
                    : String.format("\\u%04x", (int) c));
        }
        return escaped.append('"').toString();
    }
}
