package dev.privateupstream.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The instructions of a Dockerfile, read as BuildKit reads them for what deploy/Dockerfile uses: comments and
 * parser directives skipped, lines continued with a trailing backslash joined, keywords in any case, and the
 * JSON (exec) form of ENTRYPOINT, CMD and RUN told from the shell form. Heredocs are refused.
 */
final class DockerfileInstructions {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DockerfileInstructions() {
    }

    /** One instruction: its keyword in upper case, its arguments as written, and its first line. */
    record Instruction(String keyword, String arguments, int line) {
        /** The exec form's arguments, or {@code null} for the shell form. */
        List<String> execForm() {
            if (!arguments.startsWith("[")) {
                return null;
            }
            try {
                return JSON.readValue(arguments, new TypeReference<List<String>>() { });
            } catch (IOException e) {
                // Docker runs what is not a valid JSON array as a shell command.
                return null;
            }
        }

        /** The whitespace-separated words of the arguments. */
        List<String> words() {
            return List.of(arguments.trim().split("\\s+"));
        }
    }

    /** A build stage: its FROM instruction (image and optional name) and the instructions that follow. */
    record Stage(String image, String name, List<Instruction> instructions) {
        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }

        /** The last instruction of that keyword, which is the one in force (CMD, ENTRYPOINT, USER). */
        Instruction last(String keyword) {
            final List<Instruction> found = all(keyword);
            return found.isEmpty() ? null : found.get(found.size() - 1);
        }
    }

    static List<Instruction> parse(String text) {
        final List<Instruction> instructions = new ArrayList<>();
        final String[] lines = text.split("\r?\n", -1);
        StringBuilder pending = null;
        int start = 0;
        for (int i = 0; i < lines.length; i++) {
            final String line = lines[i];
            final String trimmed = line.strip();
            if (trimmed.startsWith("#") || (pending == null && trimmed.isEmpty())) {
                continue; // a comment (inside a continuation too) or a blank line
            }
            if (pending == null) {
                pending = new StringBuilder();
                start = i + 1;
            }
            if (trimmed.endsWith("\\")) {
                pending.append(trimmed.substring(0, trimmed.length() - 1).strip()).append(' ');
                continue;
            }
            pending.append(trimmed);
            instructions.add(instruction(pending.toString(), start));
            pending = null;
        }
        if (pending != null) {
            instructions.add(instruction(pending.toString(), start));
        }
        return instructions;
    }

    private static Instruction instruction(String text, int line) {
        final String[] parts = text.strip().split("\\s+", 2);
        final String arguments = parts.length > 1 ? parts[1].strip() : "";
        if (arguments.contains("<<")) {
            throw new IllegalArgumentException("line " + line + ": heredocs are not supported");
        }
        return new Instruction(parts[0].toUpperCase(Locale.ROOT), arguments, line);
    }

    /** The build stages, in order; the last one is the image. */
    static List<Stage> stages(List<Instruction> instructions) {
        final List<Stage> stages = new ArrayList<>();
        List<Instruction> current = null;
        for (Instruction instruction : instructions) {
            if (instruction.keyword().equals("FROM")) {
                final List<String> words = instruction.words().stream().filter(w -> !w.startsWith("--")).toList();
                final String name = words.size() == 3 && words.get(1).equalsIgnoreCase("AS") ? words.get(2) : null;
                current = new ArrayList<>();
                stages.add(new Stage(words.get(0), name, current));
            } else if (current == null) {
                if (!instruction.keyword().equals("ARG")) {
                    throw new IllegalArgumentException("line " + instruction.line() + ": "
                            + instruction.keyword() + " before FROM");
                }
            } else {
                current.add(instruction);
            }
        }
        return stages;
    }
}
