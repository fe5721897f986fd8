package dev.privateupstream.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads one YAML file into a {@link YamlNode} tree with lines, through Jackson's streaming parser.
 *
 * <p>A syntax error, an unreadable file, repeated keys and aliases are reported to {@link ConfigErrors};
 * values are not interpreted here.
 */
final class YamlTree {
    /** Key path of errors about the file as a whole (cannot read it, not UTF-8). */
    static final String FILE = "(file)";
    /** Key path of YAML syntax errors: the parser's position says little about which key is at fault. */
    static final String SYNTAX = "(syntax)";
    /** Key path of errors about the document's top-level value. */
    static final String DOCUMENT = "(document)";

    /**
     * SnakeYAML refuses documents over 3 MiB by default; an endpoints file with tens of thousands of
     * endpoints is larger, and the file is written by the operator or the admin API, not by strangers.
     */
    private static final int MAX_CODE_POINTS = 64 * 1024 * 1024;

    // Thread-safe once configured; parsers made from it are not shared.
    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .loaderOptions(loaderOptions())
            .build();

    private final Path file;
    private final ConfigErrors errors;

    private YamlTree(Path file, ConfigErrors errors) {
        this.file = file;
        this.errors = errors;
    }

    private static LoaderOptions loaderOptions() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(MAX_CODE_POINTS);
        return options;
    }

    /**
     * The document of {@code file}, or {@code null} when it could not be read or parsed (the reason
     * reported). An empty document is a {@link YamlNode.Scalar} holding {@code null}.
     *
     * @param fileKeyPath the key path to report a missing or unreadable file under
     */
    static YamlNode read(Path file, String fileKeyPath, ConfigErrors errors) {
        final String text = readText(file, fileKeyPath, errors);
        return text == null ? null : parse(file, text, errors);
    }

    /**
     * The text of {@code file}, or {@code null} when it could not be read or is not UTF-8 (the reason
     * reported under {@code fileKeyPath}).
     */
    private static String readText(Path file, String fileKeyPath, ConfigErrors errors) {
        try {
            final byte[] bytes = Files.readAllBytes(file);
            return decode(bytes, 0, bytes.length);
        } catch (IOException e) {
            cannotRead(file, fileKeyPath, e, errors);
        }
        return null;
    }

    /** Reports why {@code file} could not be read, or that it is not UTF-8, under {@code fileKeyPath}. */
    static void cannotRead(Path file, String fileKeyPath, IOException e, ConfigErrors errors) {
        final String why;
        if (e instanceof NoSuchFileException) {
            why = "no such file";
        } else if (e instanceof AccessDeniedException) {
            why = "permission denied";
        } else if (e instanceof CharacterCodingException) {
            why = "not UTF-8 text";
        } else {
            why = e.getMessage();
        }
        errors.add(file, 0, fileKeyPath, "cannot read " + file + ": " + why);
    }

    /** The document of {@code text} (read from {@code file}), or {@code null} when it does not parse. */
    static YamlNode parse(Path file, String text, ConfigErrors errors) {
        return new YamlTree(file, errors).document(text);
    }

    /**
     * {@code length} bytes of {@code bytes} from {@code offset} as text, without a leading byte order mark
     * (editors on Windows may write one).
     *
     * @throws CharacterCodingException when they are not UTF-8
     */
    static String decode(byte[] bytes, int offset, int length) throws CharacterCodingException {
        // The String constructor is several times faster than a decoder, but replaces what is not UTF-8
        // with U+FFFD: only a text holding that character is decoded again strictly, to tell which it was.
        String text = new String(bytes, offset, length, StandardCharsets.UTF_8);
        if (text.indexOf('\uFFFD') >= 0) {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length))
                    .toString();
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    private YamlNode document(String text) {
        try (JsonParser parser = FACTORY.createParser(text)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                return new YamlNode.Scalar(null, 1);
            }
            // Repeated keys and aliases are reported but do not stop the reading, so that the
            // operator also sees every other error of the file.
            YamlNode root = node(parser, token, "");
            JsonToken next = parser.nextToken();
            if (next != null) {
                errors.add(file, line(parser), DOCUMENT,
                        "a second YAML document starts here (expected: one document per file)");
            }
            return root;
        } catch (JsonProcessingException e) {
            errors.add(file, syntaxLine(e), SYNTAX, syntaxMessage(e));
            return null;
        } catch (IOException e) {
            errors.add(file, 0, FILE, "cannot read " + file + ": " + e.getMessage());
            return null;
        }
    }

    private YamlNode node(JsonParser parser, JsonToken token, String path) throws IOException {
        int line = line(parser);
        switch (token) {
            case START_OBJECT:
                return mapping(parser, path, line);
            case START_ARRAY:
                List<YamlNode> items = new ArrayList<>();
                JsonToken t;
                while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
                    items.add(node(parser, t, path + '[' + items.size() + ']'));
                }
                return new YamlNode.Sequence(items, line);
            case VALUE_NULL:
                return new YamlNode.Scalar(null, line);
            default:
                if (parser instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
                    // Jackson hands an alias over as a string holding the anchor's name, which would
                    // silently become the value.
                    errors.add(file, line, path.isEmpty() ? DOCUMENT : path,
                            "the alias *" + parser.getText() + " is not supported (expected: the value itself)");
                    return new YamlNode.Scalar(null, line);
                }
                // Every scalar keeps its text as written; typing happens after ${NAME} substitution.
                return new YamlNode.Scalar(parser.getText(), line);
        }
    }

    private YamlNode.Mapping mapping(JsonParser parser, String path, int line) throws IOException {
        List<YamlNode.Entry> entries = new ArrayList<>();
        Map<String, Integer> keyLines = new HashMap<>();
        while (parser.nextToken() != JsonToken.END_OBJECT) {
            String key = parser.currentName();
            int keyLine = line(parser);
            String keyPath = path.isEmpty() ? key : path + '.' + key;
            YamlNode value = node(parser, parser.nextToken(), keyPath);
            Integer first = keyLines.putIfAbsent(key, keyLine);
            if (first != null) {
                errors.add(file, keyLine, keyPath, "repeated key (first at line " + first + ")");
            } else {
                entries.add(new YamlNode.Entry(key, keyLine, value));
            }
        }
        return new YamlNode.Mapping(entries, line);
    }

    private static int line(JsonParser parser) {
        return parser.currentTokenLocation().getLineNr();
    }

    /** SnakeYAML's own mark is where the problem is; Jackson's location may still be at the last token. */
    private static int syntaxLine(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException marked
                && marked.getProblemMark() != null) {
            return marked.getProblemMark().getLine() + 1;
        }
        JsonLocation location = e.getLocation();
        return location == null ? 0 : Math.max(location.getLineNr(), 0);
    }

    /** SnakeYAML's message spans several lines with a source excerpt; keep the one-line gist. */
    private static String syntaxMessage(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException marked) {
            String problem = marked.getProblem();
            String context = marked.getContext();
            if (context != null && marked.getContextMark() != null) {
                return "invalid YAML: " + problem + " (" + context + " started at line "
                        + (marked.getContextMark().getLine() + 1) + ")";
            }
            return "invalid YAML: " + problem;
        }
        String message = e.getOriginalMessage();
        int newline = message == null ? -1 : message.indexOf('\n');
        return "invalid YAML: " + (newline < 0 ? message : message.substring(0, newline));
    }
}
