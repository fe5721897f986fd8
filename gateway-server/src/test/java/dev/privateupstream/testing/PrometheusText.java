package dev.privateupstream.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed Prometheus text exposition (format 0.0.4): every sample with its labels, and the declared type
 * of every family. Strict enough to fail a test on a line a Prometheus server would refuse.
 */
public final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"(,|$)");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
            + "(counter|gauge|histogram|summary|untyped)");

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;
    private final Map<String, String> types;

    private PrometheusText(List<Sample> samples, Map<String, String> types) {
        this.samples = samples;
        this.types = types;
    }

    /** @throws IllegalArgumentException naming the first line that does not parse */
    public static PrometheusText parse(String text) {
        final List<Sample> samples = new ArrayList<>();
        final Map<String, String> types = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                final Matcher type = TYPE.matcher(line);
                if (type.matches()) {
                    types.put(type.group(1), type.group(2));
                } else if (!line.startsWith("# HELP ") && !line.startsWith("# TYPE ")) {
                    throw new IllegalArgumentException("not a comment Prometheus reads: " + line);
                } else if (line.startsWith("# TYPE ")) {
                    throw new IllegalArgumentException("bad TYPE line: " + line);
                }
                continue;
            }
            final Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            final Map<String, String> labels = new LinkedHashMap<>();
            if (sample.group(2) != null && !sample.group(2).isEmpty()) {
                final Matcher label = LABEL.matcher(sample.group(2));
                int end = 0;
                while (label.find() && label.start() == end) {
                    labels.put(label.group(1), label.group(2));
                    end = label.end();
                }
                if (end != sample.group(2).length()) {
                    throw new IllegalArgumentException("bad labels: " + line);
                }
            }
            final String value = sample.group(3);
            samples.add(new Sample(sample.group(1), labels, switch (value) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(value);
            }));
        }
        return new PrometheusText(samples, types);
    }

    /** The samples of one name. */
    public List<Sample> samples(String name) {
        final List<Sample> found = new ArrayList<>();
        for (Sample s : samples) {
            if (s.name().equals(name)) {
                found.add(s);
            }
        }
        return found;
    }

    public List<Sample> all() {
        return List.copyOf(samples);
    }

    /** The value of the sample with exactly these labels, or {@code null}. */
    public Double value(String name, Map<String, String> labels) {
        for (Sample s : samples(name)) {
            if (s.labels().equals(labels)) {
                return s.value();
            }
        }
        return null;
    }

    /** The declared type of a family ({@code counter}, {@code histogram}...), or {@code null}. */
    public String type(String family) {
        return types.get(family);
    }
}
