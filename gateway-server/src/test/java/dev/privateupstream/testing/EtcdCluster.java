package dev.privateupstream.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.privateupstream.config.PemFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real etcd cluster on 127.0.0.1 for a test class, made of {@code etcd} processes (Debian's
 * {@code etcd-server}, which {@code .ci/run} installs), that a test can kill and restart member by member:
 *
 * <pre>{@code @RegisterExtension static final EtcdCluster etcd = EtcdCluster.members(3);}</pre>
 *
 * <p>Members are numbered from 0. Each has a client and a peer port on 127.0.0.1 (free ones below the
 * ephemeral range, so that no outgoing connection takes a killed member's port before it restarts), a data
 * directory in a temporary directory deleted after the class, and a log file, copied to
 * {@code target/etcd-logs/<class>/} when the build directory is known. Members run with etcd's default raft
 * timings (heartbeat 100 ms, election 1 s): slower failover than lowered ones, but no spurious elections when
 * other builds load this two-core machine. {@code --max-txn-ops 10000 --max-request-bytes 10485760} let the
 * store write a whole set in one transaction; automatic compaction is off, so tests compact when they mean to.
 *
 * <p>Without an {@code etcd} binary the class is skipped, unless the {@code CI} environment variable is set,
 * where it fails. Members never outlive the JVM: they are killed after the class, by a shutdown hook, and, when
 * {@code setpriv} is there, by the kernel when the JVM dies without running its hooks (parent-death signal;
 * they are started from one long-lived thread, since the signal follows the thread that forked). The next
 * cluster started on the machine then deletes the directory such a JVM left behind.
 */
public final class EtcdCluster implements BeforeAllCallback, AfterAllCallback {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration HEALTHY_WITHIN = Duration.ofSeconds(30);
    private static final int LOG_TAIL_LINES = 25;
    private static final String DIR_PREFIX = "etcd-cluster-";
    /** In each cluster's directory: the pid of the JVM that owns it. */
    private static final String OWNER_FILE = "owner.pid";

    /** Every member process started in this JVM and not yet reaped, for the shutdown hook. */
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();
    /** The thread that starts members: it lives as long as the JVM, so their parent-death signal does too. */
    private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(task -> {
        final Thread thread = new Thread(task, "etcd-cluster-spawner");
        thread.setDaemon(true);
        return thread;
    });

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly),
                "etcd-cluster-cleanup"));
    }

    private final int size;
    private final boolean tls;
    private final List<String> extraFlags;
    private final AtomicInteger prefixes = new AtomicInteger();
    private final List<Member> members = new ArrayList<>();
    private Path etcd;
    private Path setpriv;
    private Path dir;
    private TestCertificates certificates;
    private TestCertificates.Issued serverCertificate;
    private TestCertificates.Issued clientCertificate;
    private HttpClient http;
    /** The cluster's --initial-cluster-token, fresh for each start from scratch. */
    private String clusterToken;

    /** One member: its ports and files, and its process while it runs. */
    private static final class Member {
        final int index;
        final int clientPort;
        final int peerPort;
        final Path dataDir;
        final Path log;
        Process process;

        Member(int index, int clientPort, int peerPort, Path dir) {
            this.index = index;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
            this.dataDir = dir.resolve("m" + index + ".etcd");
            this.log = dir.resolve("m" + index + ".log");
        }

        String name() {
            return "m" + index;
        }

        boolean running() {
            return process != null && process.isAlive();
        }
    }

    private EtcdCluster(int size, boolean tls, List<String> extraFlags) {
        if (size < 1) {
            throw new IllegalArgumentException("size: " + size + " (expected: >= 1)");
        }
        this.size = size;
        this.tls = tls;
        this.extraFlags = List.copyOf(extraFlags);
    }

    /** A cluster of {@code size} members, over plain HTTP. */
    public static EtcdCluster members(int size) {
        return new EtcdCluster(size, false, List.of());
    }

    /** This cluster with more {@code etcd} flags for every member, such as {@code --auth-token-ttl 1}. */
    public EtcdCluster withFlags(String... flags) {
        final List<String> all = new ArrayList<>(extraFlags);
        all.addAll(List.of(flags));
        return new EtcdCluster(size, tls, all);
    }

    /**
     * This cluster with TLS on its client port, requiring client certificates ({@code --client-cert-auth}):
     * a test CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, all made when the
     * cluster starts ({@link #caCertificate()}, {@link #clientCertificate()}). Peers still talk plain HTTP.
     */
    public EtcdCluster withTls() {
        return new EtcdCluster(size, true, extraFlags);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        etcd = onPath("etcd");
        if (etcd == null) {
            final String why = "no etcd binary on the PATH (Debian: apt-get install etcd-server etcd-client, "
                               + "as .ci/run does)";
            if (System.getenv("CI") != null) {
                throw new IllegalStateException(why + ", and CI is set: the etcd tests must run here");
            }
            Assumptions.assumeTrue(false, why + ": skipping " + context.getDisplayName());
        }
        setpriv = onPath("setpriv");
        if (setpriv != null) {
            removeOrphans();
        }
        dir = Files.createTempDirectory(DIR_PREFIX);
        Files.writeString(dir.resolve(OWNER_FILE), Long.toString(ProcessHandle.current().pid()));
        if (tls) {
            final Path tlsDir = Files.createDirectories(dir.resolve("tls"));
            certificates = TestCertificates.create(tlsDir, "etcd-test-ca");
            serverCertificate = certificates.issueFor("serverAuth,clientAuth", "server", "127.0.0.1",
                    "IP:127.0.0.1", "DNS:localhost");
            clientCertificate = certificates.issueFor("clientAuth", "client", "etcd-test-client");
        }
        http = httpClient();
        // A port checked free may be taken before etcd binds it (other builds run here): then start afresh.
        for (int attempt = 1; ; attempt++) {
            members.clear();
            for (int i = 0; i < size; i++) {
                members.add(new Member(i, FreePorts.next(), FreePorts.next(), dir));
            }
            clusterToken = "test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            for (Member member : members) {
                start(member);
            }
            try {
                awaitHealthy();
                return;
            } catch (AssertionError e) {
                final boolean portTaken = members.stream().anyMatch(m -> logText(m).contains("address already in use"));
                killAll();
                if (!portTaken || attempt == 3) {
                    throw e;
                }
                for (Member member : members) {
                    deleteTree(member.dataDir);
                }
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (dir == null) {
            return;
        }
        killAll();
        final String buildDirectory = System.getProperty("build.directory");
        if (buildDirectory != null) {
            final Path logs = Files.createDirectories(Path.of(buildDirectory, "etcd-logs",
                    context.getRequiredTestClass().getSimpleName() + (tls ? "-tls" : "") + "-" + size));
            for (Member member : members) {
                if (Files.exists(member.log)) {
                    Files.copy(member.log, logs.resolve(member.log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        deleteTree(dir);
        dir = null;
    }

    public int size() {
        return size;
    }

    /** Every member's client URL, member 0 first. */
    public List<URI> clientEndpoints() {
        return members.stream().map(m -> clientEndpoint(m.index)).collect(Collectors.toList());
    }

    public URI clientEndpoint(int member) {
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + member(member).clientPort);
    }

    /** The client URLs as a YAML flow list: {@code [ "http://127.0.0.1:p1", "http://127.0.0.1:p2" ]}. */
    public String endpointsYamlList() {
        return clientEndpoints().stream().map(uri -> "\"" + uri + "\"").collect(Collectors.joining(", ", "[ ", " ]"));
    }

    /** For a TLS cluster: the CA that issued the server and client certificates. */
    public Path caCertificate() {
        requireTls();
        return certificates.caCertificate();
    }

    /** For a TLS cluster: a client certificate the members accept. */
    public TestCertificates.Issued clientCertificate() {
        requireTls();
        return clientCertificate;
    }

    /** A key prefix no other caller of this cluster gets: {@code /test-N/}. */
    public String uniquePrefix() {
        return "/test-" + prefixes.incrementAndGet() + "/";
    }

    public boolean running(int member) {
        return member(member).running();
    }

    /** The member's process id; it changes with each restart. */
    public long pid(int member) {
        final Member m = member(member);
        if (m.process == null) {
            throw new IllegalStateException(m.name() + " was never started");
        }
        return m.process.pid();
    }

    /** SIGKILLs the member and waits until the process is gone (reaped, not a zombie). */
    public void kill(int member) {
        final Member m = member(member);
        if (m.process == null) {
            return;
        }
        m.process.destroyForcibly();
        awaitExit(m, Duration.ofSeconds(10));
    }

    /** SIGTERMs the member and waits until it exits (SIGKILL after 10 s). */
    public void stop(int member) {
        final Member m = member(member);
        if (m.process == null) {
            return;
        }
        m.process.destroy();
        try {
            if (!m.process.waitFor(10, TimeUnit.SECONDS)) {
                m.process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            m.process.destroyForcibly();
        }
        awaitExit(m, Duration.ofSeconds(10));
    }

    public void killAll() {
        for (Member member : members) {
            kill(member.index);
        }
    }

    /**
     * Starts a stopped member again with the same flags on its existing data. Returns once the whole cluster
     * is healthy when the running members make a quorum, else once the member listens (it cannot serve
     * before it has a leader).
     */
    public void restart(int member) {
        final Member m = member(member);
        if (m.running()) {
            throw new IllegalStateException(m.name() + " is running (pid " + m.process.pid() + ")");
        }
        start(m);
        awaitListening(m);
        if (quorumRunning()) {
            awaitHealthy();
        }
    }

    /** Starts every member that is not running, then waits until the cluster is healthy. */
    public void restartAll() {
        final List<Member> started = new ArrayList<>();
        for (Member member : members) {
            if (!member.running()) {
                start(member);
                started.add(member);
            }
        }
        for (Member member : started) {
            awaitListening(member);
        }
        awaitHealthy();
    }

    /**
     * Waits until every running member answers {@code /health} with {@code {"health":"true"}} (it has a leader
     * and serves reads), for up to 30 s; fails with each member's state and the tail of its log.
     */
    public void awaitHealthy() {
        final long deadline = System.nanoTime() + HEALTHY_WITHIN.toNanos();
        while (true) {
            final List<String> problems = new ArrayList<>();
            for (Member member : members) {
                if (member.process == null) {
                    continue;
                }
                if (!member.process.isAlive()) {
                    if (RUNNING.contains(member.process)) {
                        throw new AssertionError("etcd member " + member.name() + " died (exit "
                                + member.process.exitValue() + ")" + logTails());
                    }
                    continue;
                }
                final String health = health(member);
                if (!health.contains("\"health\":\"true\"")) {
                    problems.add(member.name() + ": " + health);
                }
            }
            if (problems.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("etcd cluster not healthy within " + HEALTHY_WITHIN + ": "
                        + String.join("; ", problems) + logTails());
            }
            sleep(50);
        }
    }

    /**
     * Compacts the history to the current revision (physically, so it is done when this returns) and returns
     * that revision. Not for a cluster with auth on: it sends no token.
     */
    public long compact() {
        final Member member = members.stream().filter(Member::running).findFirst()
                .orElseThrow(() -> new IllegalStateException("no etcd member running"));
        final JsonNode range = post(member, "/v3/kv/range", "{\"key\":\"AA==\",\"limit\":\"1\"}");
        final long revision = range.path("header").path("revision").asLong();
        post(member, "/v3/kv/compaction", "{\"revision\":\"" + revision + "\",\"physical\":true}");
        return revision;
    }

    /**
     * Runs {@code etcdctl} against every member (with the client certificate on a TLS cluster) and returns
     * what it printed; fails unless it exits 0.
     */
    public String etcdctl(String... args) {
        final Path etcdctl = onPath("etcdctl");
        final List<String> command = new ArrayList<>(List.of(etcdctl == null ? "etcdctl" : etcdctl.toString(),
                "--endpoints=" + clientEndpoints().stream().map(URI::toString).collect(Collectors.joining(",")),
                "--dial-timeout=2s", "--command-timeout=10s"));
        if (tls) {
            command.addAll(List.of("--cacert=" + certificates.caCertificate(), "--cert="
                    + clientCertificate.certificate(), "--key=" + clientCertificate.privateKey()));
        }
        command.addAll(List.of(args));
        try {
            return ExternalProcess.check(dir, command.toArray(new String[0]));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running etcdctl", e);
        }
    }

    /** The last lines of the member's log. */
    public String logTail(int member) {
        final List<String> lines = logText(member(member)).lines().collect(Collectors.toList());
        return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    }

    private Member member(int index) {
        if (index < 0 || index >= members.size()) {
            throw new IllegalArgumentException("member: " + index + " (expected: 0.." + (members.size() - 1)
                    + "; is the cluster started?)");
        }
        return members.get(index);
    }

    private void start(Member member) {
        final String scheme = tls ? "https" : "http";
        final String initialCluster = members.stream()
                .map(m -> m.name() + "=http://127.0.0.1:" + m.peerPort).collect(Collectors.joining(","));
        final List<String> command = new ArrayList<>();
        if (setpriv != null) {
            command.addAll(List.of(setpriv.toString(), "--pdeathsig", "KILL", "--"));
        }
        command.addAll(List.of(etcd.toString(),
                "--name", member.name(),
                "--data-dir", member.dataDir.toString(),
                "--listen-client-urls", scheme + "://127.0.0.1:" + member.clientPort,
                "--advertise-client-urls", scheme + "://127.0.0.1:" + member.clientPort,
                "--listen-peer-urls", "http://127.0.0.1:" + member.peerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + member.peerPort,
                "--initial-cluster", initialCluster,
                // Ignored once the data directory exists, as on every restart.
                "--initial-cluster-token", clusterToken,
                "--initial-cluster-state", "new",
                "--max-txn-ops", "10000",
                "--max-request-bytes", "10485760",
                "--auto-compaction-retention", "0",
                "--logger", "zap",
                "--log-outputs", "stderr"));
        if (tls) {
            command.addAll(List.of("--cert-file", serverCertificate.certificate().toString(),
                    "--key-file", serverCertificate.privateKey().toString(),
                    "--trusted-ca-file", certificates.caCertificate().toString(),
                    "--client-cert-auth"));
        }
        command.addAll(extraFlags);
        final ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(member.log.toFile()));
        try {
            member.process = SPAWNER.submit(builder::start).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not start " + String.join(" ", command), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted starting etcd", e);
        }
        RUNNING.add(member.process);
        try {
            member.process.getOutputStream().close();
        } catch (IOException e) {
            // Nothing is ever written to it.
        }
    }

    private void awaitExit(Member member, Duration timeout) {
        final Process process = member.process;
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("etcd member " + member.name() + " (pid " + process.pid()
                        + ") still alive " + timeout + " after being told to exit");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for etcd to exit", e);
        }
        // waitFor returns once the JVM has reaped it; a zombie would still hold nothing, but make sure.
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (zombieOrAlive(process.pid()) && System.nanoTime() < deadline) {
            sleep(10);
        }
        RUNNING.remove(process);
    }

    /** Whether {@code /proc/<pid>} still exists, as a live process or a zombie not yet reaped. */
    private static boolean zombieOrAlive(long pid) {
        return Files.exists(Path.of("/proc", Long.toString(pid), "status"));
    }

    /** Waits until the member's client port accepts connections (it binds it before it can serve). */
    private void awaitListening(Member member) {
        final long deadline = System.nanoTime() + HEALTHY_WITHIN.toNanos();
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), member.clientPort), 500);
                return;
            } catch (IOException e) {
                if (!member.process.isAlive()) {
                    throw new AssertionError("etcd member " + member.name() + " died on restart (exit "
                            + member.process.exitValue() + "):\n" + logTail(member.index));
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("etcd member " + member.name() + " not listening within "
                            + HEALTHY_WITHIN + ":\n" + logTail(member.index));
                }
                sleep(20);
            }
        }
    }

    private boolean quorumRunning() {
        return members.stream().filter(Member::running).count() > size / 2;
    }

    private String health(Member member) {
        try {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    clientEndpoint(member.index).resolve("/health")).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return "HTTP " + response.statusCode() + " " + response.body().strip();
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted checking etcd's health", e);
        }
    }

    private JsonNode post(Member member, String path, String body) {
        try {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    clientEndpoint(member.index).resolve(path)).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new AssertionError("POST " + path + " " + body + " to " + member.name() + ": HTTP "
                        + response.statusCode() + " " + response.body());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("POST " + path + " to " + member.name(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted calling etcd", e);
        }
    }

    private HttpClient httpClient() throws IOException {
        final HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1));
        if (tls) {
            builder.sslContext(sslContext());
        }
        return builder.build();
    }

    /** Trusts the test CA and presents the client certificate, for the health checks of a TLS cluster. */
    private SSLContext sslContext() throws IOException {
        try {
            final char[] password = "test".toCharArray();
            final KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", PemFiles.privateKey(clientCertificate.privateKey()), password,
                    PemFiles.certificates(clientCertificate.certificate()).toArray(new X509Certificate[0]));
            final KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, password);
            final KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("ca", PemFiles.certificates(certificates.caCertificate()).get(0));
            final TrustManagerFactory trustManagers =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trusted);
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("the test TLS context: " + e.getMessage(), e);
        }
    }

    private void requireTls() {
        if (!tls) {
            throw new IllegalStateException("not a TLS cluster (use EtcdCluster.members(n).withTls())");
        }
        if (certificates == null) {
            throw new IllegalStateException("the cluster has not started yet");
        }
    }

    private String logTails() {
        final StringBuilder tails = new StringBuilder();
        for (Member member : members) {
            tails.append("\n--- ").append(member.name()).append(" log, last lines ---\n").append(logTail(member.index));
        }
        return tails.toString();
    }

    private static String logText(Member member) {
        try {
            return Files.exists(member.log) ? Files.readString(member.log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /**
     * Deletes the directories of clusters whose JVM died without its hooks running (killed, or crashed): some
     * 200 MB each, mostly preallocated WAL. Their members died with the JVM (parent-death signal), so nothing
     * uses them; without {@code setpriv} they might still run, and this is not called.
     */
    private static void removeOrphans() {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")),
                DIR_PREFIX + "*")) {
            for (Path candidate : dirs) {
                final Path owner = candidate.resolve(OWNER_FILE);
                if (!Files.isRegularFile(owner)) {
                    continue;
                }
                final long pid = Long.parseLong(Files.readString(owner).strip());
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                deleteTree(candidate);
            }
        } catch (IOException | NumberFormatException e) {
            // Best effort: a directory left over costs disk space, not correctness.
        }
    }

    private static Path onPath(String program) {
        final String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        final List<String> candidates = new ArrayList<>();
        for (String entry : path.split(":")) {
            if (!entry.isEmpty()) {
                candidates.add(entry + "/" + program);
            }
        }
        candidates.add("/usr/bin/" + program);
        return ExternalProcess.find(candidates);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
