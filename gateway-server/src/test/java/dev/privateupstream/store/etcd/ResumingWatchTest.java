package dev.privateupstream.store.etcd;

import static dev.privateupstream.store.etcd.EtcdClientTest.awaitTrue;
import static dev.privateupstream.store.etcd.EtcdClientTest.base64;
import static dev.privateupstream.store.etcd.EtcdClientTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watch stream against {@link FakeEtcd}: lines cut anywhere by chunks, the cursor rules (never from the
 * created answer), progress notifications, resuming on the next endpoint after a drop, compaction, errors
 * inside the stream, and auth on the watch's own connection.
 */
class ResumingWatchTest {
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
    }

    @Test
    void linesCutAnywhereByChunksAreReadAndTheCursorFollowsEventsAndProgress() throws Exception {
        final String created = result(20, "\"created\":true");
        final String put = result(5, "\"events\":[" + event(null, "/w/a", "v1", 5) + "]");
        final String progress = result(7, null);
        final String twoEvents = result(9, "\"events\":[" + event("DELETE", "/w/a", null, 8) + ","
                                           + event(null, "/w/b", "v2", 9) + "]");
        final FakeEtcd etcd = fake().on("/v3/watch", x -> {
            x.startStream();
            // The created line and half of the next in one chunk, the rest with two more lines in the next.
            x.chunk(created + "\n" + put.substring(0, 40));
            x.later(50, () -> x.chunk(put.substring(40) + "\n" + progress + "\n" + twoEvents.substring(0, 10)));
            x.later(100, () -> x.chunk(twoEvents.substring(10) + "\n"));
        });
        final EtcdClient client = client(etcd.endpoint());
        final Recorder recorder = new Recorder();

        final EtcdWatch watch = client.watch(bytes("/w/"), EtcdClient.prefixEnd(bytes("/w/")), 3, recorder);
        awaitTrue(() -> recorder.calls.size() == 4);

        assertThat(recorder.calls).containsExactly("live true", "events@5 PUT /w/a=v1@5", "progress@7",
                "events@9 DELETE /w/a=@8 PUT /w/b=v2@9");
        assertThat(watch.nextRevision()).isEqualTo(10);
        assertThat(watch.live()).isTrue();
        final FakeEtcd.Request request = etcd.requests.get(0);
        assertThat(request.body()).isEqualTo("{\"create_request\":{\"key\":\"" + base64("/w/") + "\",\"range_end\":\""
                + base64("/w0") + "\",\"start_revision\":\"3\",\"progress_notify\":true}}");
        assertThat(request.requireLeader()).isEqualTo("true");
    }

    @Test
    void theCreatedAnswerDoesNotMoveTheCursor() throws Exception {
        final FakeEtcd etcd = fake().on("/v3/watch", x -> {
            x.startStream();
            x.chunk(result(500, "\"created\":true") + "\n");
        });
        final EtcdClient client = client(etcd.endpoint());
        final Recorder recorder = new Recorder();
        final EtcdWatch watch = client.watch(bytes("/w/"), null, 42, recorder);
        awaitTrue(watch::live);
        assertThat(watch.nextRevision()).isEqualTo(42);
    }

    @Test
    void aDroppedStreamResumesOnTheNextEndpointFromTheCursor() throws Exception {
        final FakeEtcd first = fake().on("/v3/watch", x -> {
            x.startStream();
            x.chunk(result(4, "\"created\":true") + "\n" + result(5, "\"events\":[" + event(null, "/w/a", "v1", 5) + "]")
                    + "\n");
            x.later(50, x::close);
        });
        final FakeEtcd second = fake().on("/v3/watch", x -> {
            x.startStream();
            x.chunk(result(6, "\"created\":true") + "\n" + result(6, "\"events\":[" + event(null, "/w/b", "v2", 6) + "]")
                    + "\n");
        });
        final EtcdClient client = client(first.endpoint(), second.endpoint());
        final Recorder recorder = new Recorder();

        final EtcdWatch watch = client.watch(bytes("/w/a"), null, 1, recorder);
        awaitTrue(() -> recorder.calls.size() == 5);

        assertThat(recorder.calls).containsExactly("live true", "events@5 PUT /w/a=v1@5", "live false", "live true",
                "events@6 PUT /w/b=v2@6");
        assertThat(second.requests.get(0).body()).contains("\"start_revision\":\"6\"");
        assertThat(watch.nextRevision()).isEqualTo(7);
    }

    @Test
    void anErrorLineEndsTheStreamAndTheWatchReconnects() throws Exception {
        final FakeEtcd etcd = fake().on("/v3/watch", x -> {
            x.startStream();
            if (x.request.connection() == 1) {
                // How the gateway passes on "no leader": one last line, with no newline, then the end.
                x.chunk(result(4, "\"created\":true") + "\n{\"error\":{\"grpc_code\":14,\"http_code\":503,"
                        + "\"message\":\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}");
                x.endStream();
            } else {
                x.chunk(result(4, "\"created\":true") + "\n");
            }
        });
        final EtcdClient client = client(etcd.endpoint());
        final Recorder recorder = new Recorder();
        client.watch(bytes("/w/a"), null, 4, recorder);
        awaitTrue(() -> recorder.calls.size() == 3);
        assertThat(recorder.calls).containsExactly("live true", "live false", "live true");
        assertThat(etcd.requests).hasSize(2);
    }

    @Test
    void aCompactedStartEndsTheWatch() throws Exception {
        final FakeEtcd etcd = fake().on("/v3/watch", x -> {
            x.startStream();
            x.chunk(result(60, "\"created\":true") + "\n" + result(60, "\"canceled\":true,\"compact_revision\":\"50\"")
                    + "\n");
        });
        final EtcdClient client = client(etcd.endpoint());
        final Recorder recorder = new Recorder();
        final EtcdWatch watch = client.watch(bytes("/w/a"), null, 2, recorder);
        awaitTrue(() -> recorder.calls.size() == 3);
        assertThat(recorder.calls).containsExactly("live true", "live false", "compacted 50");
        assertThat(watch.live()).isFalse();
        Thread.sleep(ResumingWatch.RECONNECT_DELAY_MILLIS + 300);
        assertThat(etcd.requests).hasSize(1);
    }

    @Test
    void anErrorAnswerOrAStreamNeverCreatedIsRetried() throws Exception {
        final FakeEtcd etcd = fake().on("/v3/watch", x -> {
            switch (x.request.connection()) {
                case 1 -> x.answer(404, "Not Found");
                case 2 -> x.startStream(); // and nothing more: not created within the timeout
                default -> {
                    x.startStream();
                    x.chunk(result(4, "\"created\":true") + "\n");
                }
            }
        });
        final EtcdClient client = EtcdClient.create(EtcdClientSettings.of(List.of(etcd.endpoint()),
                Duration.ofMillis(300)));
        closeables.add(0, client);
        final Recorder recorder = new Recorder();
        final EtcdWatch watch = client.watch(bytes("/w/a"), null, 4, recorder);
        awaitTrue(watch::live);
        assertThat(etcd.connections()).isEqualTo(3);
    }

    @Test
    void withAuthTheWatchConnectionAuthenticatesFirst() throws Exception {
        final FakeEtcd etcd = fake()
                .on("/v3/auth/authenticate", x -> x.answer(200, "{\"token\":\"watch-token\"}"))
                .on("/v3/watch", x -> {
                    x.startStream();
                    x.chunk(result(4, "\"created\":true") + "\n");
                });
        final EtcdClient client = EtcdClient.create(EtcdClientSettings.of(List.of(etcd.endpoint()),
                Duration.ofSeconds(2)).withCredentials("root", "secret"));
        closeables.add(0, client);
        final EtcdWatch watch = client.watch(bytes("/w/a"), null, 4, new Recorder());
        awaitTrue(watch::live);
        assertThat(etcd.requests).extracting(FakeEtcd.Request::path).containsExactly("/v3/auth/authenticate",
                "/v3/watch");
        assertThat(etcd.requests.get(1).authorization()).isEqualTo("watch-token");
        assertThat(etcd.requests.get(1).connection()).isEqualTo(etcd.requests.get(0).connection());
    }

    @Test
    void aClosedWatchStopsAndDoesNotReconnect() throws Exception {
        final FakeEtcd etcd = fake().on("/v3/watch", x -> {
            x.startStream();
            x.chunk(result(4, "\"created\":true") + "\n");
        });
        final EtcdClient client = client(etcd.endpoint());
        final Recorder recorder = new Recorder();
        final EtcdWatch watch = client.watch(bytes("/w/a"), null, 4, recorder);
        awaitTrue(watch::live);
        watch.close();
        awaitTrue(() -> etcd.closedConnections.get() == 1);
        Thread.sleep(ResumingWatch.RECONNECT_DELAY_MILLIS + 300);
        assertThat(etcd.connections()).isEqualTo(1);
        assertThat(recorder.calls).containsExactly("live true");
        assertThat(watch.live()).isFalse();
    }

    /** Records every callback as a line of text, in order. */
    static final class Recorder implements EtcdWatchListener {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public void onEvents(long headerRevision, List<WatchEvent> events) {
            final StringBuilder line = new StringBuilder("events@" + headerRevision);
            for (WatchEvent event : events) {
                line.append(' ').append(event.type()).append(' ').append(event.kv().keyText()).append('=')
                        .append(event.kv().valueText()).append('@').append(event.kv().modRevision());
            }
            calls.add(line.toString());
        }

        @Override
        public void onProgress(long headerRevision) {
            calls.add("progress@" + headerRevision);
        }

        @Override
        public void onLive(boolean live) {
            calls.add("live " + live);
        }

        @Override
        public void onCompacted(long compactRevision) {
            calls.add("compacted " + compactRevision);
        }
    }

    private static String result(long revision, String fields) {
        return "{\"result\":{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"" + revision
               + "\",\"raft_term\":\"3\"}" + (fields == null ? "" : "," + fields) + "}}";
    }

    private static String event(String type, String key, String value, long revision) {
        return "{" + (type == null ? "" : "\"type\":\"" + type + "\",") + "\"kv\":{\"key\":\"" + base64(key) + "\","
               + (value == null ? "" : "\"create_revision\":\"" + revision + "\",") + "\"mod_revision\":\"" + revision
               + "\"" + (value == null ? "" : ",\"version\":\"1\",\"value\":\"" + base64(value) + "\"") + "}}";
    }

    private FakeEtcd fake() throws InterruptedException {
        final FakeEtcd etcd = new FakeEtcd();
        closeables.add(etcd);
        return etcd;
    }

    private EtcdClient client(URI... endpoints) {
        final EtcdClient client = EtcdClient.create(EtcdClientSettings.of(List.of(endpoints), Duration.ofSeconds(2)));
        closeables.add(0, client);
        return client;
    }
}
