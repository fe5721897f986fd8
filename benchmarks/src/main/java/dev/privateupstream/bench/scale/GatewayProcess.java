package dev.privateupstream.bench.scale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A gateway process seen from outside: its descriptors and RSS in {@code /proc}, its metrics on the admin
 * port, and its heap after a full collection through {@code jcmd}.
 */
final class GatewayProcess {
    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    private final long pid;
    private final URI metrics;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Only its metrics: {@code /proc} and {@code jcmd} are not to be used. */
    GatewayProcess(int adminPort) {
        this(-1, adminPort);
    }

    GatewayProcess(long pid, int adminPort) {
        this.pid = pid;
        metrics = URI.create("http://127.0.0.1:" + adminPort + "/metrics");
    }

    long openDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    /** The text of {@code /metrics}. */
    String scrape() throws IOException, InterruptedException {
        final HttpResponse<String> answer = http.send(HttpRequest.newBuilder(metrics)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IOException(metrics + " answered " + answer.statusCode());
        }
        return answer.body();
    }

    /**
     * The sum of every sample of {@code metric} whose labels contain each of {@code labels} (for example
     * {@code result="rejected"}).
     */
    static long sum(String scrape, String metric, String... labels) {
        long total = 0;
        for (String line : scrape.split("\n")) {
            if (!line.startsWith(metric) || line.length() == metric.length()) {
                continue;
            }
            final char next = line.charAt(metric.length());
            if (next != '{' && next != ' ') {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= line.contains(label);
            }
            if (all) {
                total += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    /** Netty's pooled direct memory in use, from {@code netty_allocator_memory_used}. */
    long pooledDirect() throws IOException, InterruptedException {
        return sum(scrape(), "netty_allocator_memory_used", "memory_type=\"direct\"");
    }

    /**
     * The live heap after two full collections ({@code jcmd PID GC.run}), from {@code GC.heap_info}: with
     * Parallel GC (the gateway's collector here) the old generation's {@code used}, since a full collection
     * compacts every live object into it and the young generation's {@code used} then counts only the TLABs
     * threads took since (megabytes, and never the same twice); with another collector, every generation.
     */
    long heapAfterFullGc() throws IOException, InterruptedException {
        jcmd("GC.run");
        jcmd("GC.run");
        final String info = jcmd("GC.heap_info");
        long old = -1;
        long all = 0;
        for (String line : info.split("\n")) {
            final String trimmed = line.trim();
            final Matcher m = USED.matcher(trimmed);
            if (!trimmed.contains(" total ") || !m.find()) {
                continue;
            }
            final long kib = Long.parseLong(m.group(1));
            if (trimmed.startsWith("ParOldGen")) {
                old = kib;
            }
            if (trimmed.startsWith("PSYoungGen") || trimmed.startsWith("ParOldGen")
                    || trimmed.startsWith("garbage-first heap") || trimmed.startsWith("def new generation")
                    || trimmed.startsWith("tenured generation")) {
                all += kib;
            }
        }
        if (old < 0 && all == 0) {
            throw new IOException("no heap use in jcmd GC.heap_info:\n" + info);
        }
        return (old >= 0 ? old : all) * 1024;
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("jcmd " + pid + " " + command + " failed:\n" + out);
        }
        return out;
    }
}
