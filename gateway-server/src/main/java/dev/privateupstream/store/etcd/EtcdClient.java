package dev.privateupstream.store.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An etcd v3 client over etcd's JSON gateway (etcd 3.4: {@code POST /v3/...} on the client port), on Netty
 * and Jackson alone.
 *
 * <p><b>Threading.</b> The client has one event loop thread of its own, on NIO: it carries a handful of calls a
 * second, for which the native transports would buy nothing, and NIO loads everywhere, whatever transport the
 * proxy itself was given. Methods may be called from any thread. <b>Every future completes, and every watch
 * callback runs, on that thread:</b> a callback must not block, and must never wait for another call of this
 * client ({@code join()} there would wait forever for the thread it is holding); hand slow work to another
 * executor with the {@code ...Async} variants.
 *
 * <p><b>Unary calls</b> share one keep-alive HTTP/1.1 connection to one member, pipelined. When it fails, the
 * client moves on to the next endpoint. Every call fails with {@link EtcdException.Kind#UNAVAILABLE} by its
 * timeout at the latest. A call that could not be sent goes to the next endpoint within its time; a call
 * whose bytes went out is never sent again (a write may have been applied), except once after an answer
 * saying its auth token was stale, which etcd gives before applying anything. See {@link UnaryCalls}.
 *
 * <p><b>Auth.</b> With a username, each connection first trades the credentials for a token at
 * {@code /v3/auth/authenticate}, then sends it with every request, and fetches a new one when etcd says it is
 * stale.
 *
 * <p><b>Watches</b> each have a connection of their own and resume by themselves; see {@link #watch}.
 */
public final class EtcdClient implements AutoCloseable {
    private final EtcdClientSettings settings;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Connector connector;
    private final UnaryCalls calls;
    private final Set<ResumingWatch> watches = ConcurrentHashMap.newKeySet();
    private int watchesMade;
    private volatile boolean closed;

    private EtcdClient(EtcdClientSettings settings) {
        this.settings = settings;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("etcd-client", true),
                NioIoHandler.newFactory());
        this.loop = group.next();
        try {
            this.connector = new Connector(loop, settings);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
        this.calls = new UnaryCalls(loop, connector, settings);
    }

    /**
     * A client for these settings. It connects lazily, at the first call; only the TLS files, if any, are read
     * now.
     *
     * @throws IllegalArgumentException when a TLS file cannot be used (the message names it)
     */
    public static EtcdClient create(EtcdClientSettings settings) {
        return new EtcdClient(requireNonNull(settings, "settings"));
    }

    public EtcdClientSettings settings() {
        return settings;
    }

    /**
     * Reads {@code key}, or every key in {@code [key, rangeEnd)}.
     *
     * @param rangeEnd {@code null} for the single key; {@link #prefixEnd} of a prefix for all keys under it
     */
    public CompletableFuture<RangeResponse> range(byte[] key, byte[] rangeEnd, RangeOptions options) {
        requireNonNull(key, "key");
        requireNonNull(options, "options");
        final ObjectNode body = GatewayJson.object();
        GatewayJson.putBytes(body, "key", key);
        GatewayJson.putBytes(body, "range_end", rangeEnd);
        options.addTo(body);
        return calls.call("/v3/kv/range", body, answer -> RangeResponse.fromJson(answer, 0));
    }

    /**
     * Reads every key in {@code [key, rangeEnd)} in pages of {@code pageSize}, all at one revision: the first
     * page is a linearizable read of the latest revision R, and each next page reads from after the last key
     * so far at R. The result has revision R, every key, {@code count} = their number and {@code more} false.
     * Fails with {@link EtcdException.Kind#COMPACTED} when R is compacted away between pages (read again).
     *
     * <p>The answers of the gateway are large and slow to make (about 10 ms per 1,000 keys here), so pages keep
     * each call well inside the timeout.
     */
    public CompletableFuture<RangeResponse> rangeAll(byte[] key, byte[] rangeEnd, int pageSize) {
        requireNonNull(key, "key");
        if (pageSize <= 0) {
            throw new IllegalArgumentException("pageSize: " + pageSize + " (expected: > 0)");
        }
        final CompletableFuture<RangeResponse> result = new CompletableFuture<>();
        page(key, rangeEnd, pageSize, 0, new ArrayList<>(), result);
        return result;
    }

    private void page(byte[] from, byte[] rangeEnd, int pageSize, long revision, List<KeyValue> found,
            CompletableFuture<RangeResponse> result) {
        // Later pages stay linearizable: a member behind R would answer "future revision" to a serializable read.
        range(from, rangeEnd, RangeOptions.linearizable().withLimit(pageSize).atRevision(revision))
                .whenComplete((page, error) -> {
                    if (error != null) {
                        result.completeExceptionally(unwrap(error));
                        return;
                    }
                    final long at = revision == 0 ? page.revision() : revision;
                    found.addAll(page.kvs());
                    if (page.more() && !page.kvs().isEmpty() && rangeEnd != null) {
                        final byte[] last = page.kvs().get(page.kvs().size() - 1).key();
                        // The smallest key after the last one read.
                        page(Arrays.copyOf(last, last.length + 1), rangeEnd, pageSize, at, found, result);
                    } else {
                        result.complete(new RangeResponse(at, found, found.size(), false));
                    }
                });
    }

    /**
     * Runs {@code success} if every comparison holds, else {@code failure}, atomically: one revision at most.
     * A txn that fails with UNAVAILABLE may or may not have been applied; read to find out, or make it a
     * compare-and-swap so that running it twice is harmless.
     */
    public CompletableFuture<TxnResponse> txn(List<Compare> compares, List<Op> success, List<Op> failure) {
        requireNonNull(compares, "compares");
        requireNonNull(success, "success");
        requireNonNull(failure, "failure");
        final ObjectNode body = GatewayJson.object();
        final ArrayNode compare = body.putArray("compare");
        for (Compare c : compares) {
            compare.add(c.toJson());
        }
        addOps(body.putArray("success"), success);
        addOps(body.putArray("failure"), failure);
        return calls.call("/v3/kv/txn", body, TxnResponse::fromJson);
    }

    private static void addOps(ArrayNode array, List<Op> ops) {
        for (Op op : ops) {
            final ObjectNode request = GatewayJson.object();
            if (op instanceof Op.Put put) {
                GatewayJson.putBytes(request, "key", put.key());
                GatewayJson.putBytes(request, "value", put.value());
                GatewayJson.putInt64(request, "lease", put.lease());
                array.addObject().set("request_put", request);
            } else if (op instanceof Op.Delete delete) {
                GatewayJson.putBytes(request, "key", delete.key());
                GatewayJson.putBytes(request, "range_end", delete.rangeEnd());
                array.addObject().set("request_delete_range", request);
            } else if (op instanceof Op.Range range) {
                GatewayJson.putBytes(request, "key", range.key());
                GatewayJson.putBytes(request, "range_end", range.rangeEnd());
                array.addObject().set("request_range", request);
            } else {
                throw new IllegalArgumentException("op: " + op + " (expected: Put, Delete or Range)");
            }
        }
    }

    /** Puts {@code value} at {@code key}; the future holds the revision of the put. */
    public CompletableFuture<Long> put(byte[] key, byte[] value, long leaseId) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        final ObjectNode body = GatewayJson.object();
        GatewayJson.putBytes(body, "key", key);
        GatewayJson.putBytes(body, "value", value);
        GatewayJson.putInt64(body, "lease", leaseId);
        return calls.call("/v3/kv/put", body, GatewayJson::headerRevision);
    }

    /**
     * Deletes {@code key}, or every key in {@code [key, rangeEnd)}; the future holds the store's revision after
     * (unchanged when nothing was there).
     */
    public CompletableFuture<Long> delete(byte[] key, byte[] rangeEnd) {
        requireNonNull(key, "key");
        final ObjectNode body = GatewayJson.object();
        GatewayJson.putBytes(body, "key", key);
        GatewayJson.putBytes(body, "range_end", rangeEnd);
        return calls.call("/v3/kv/deleterange", body, GatewayJson::headerRevision);
    }

    /** A new lease that expires {@code ttlSeconds} after its last keep-alive; the future holds its id. */
    public CompletableFuture<Long> grantLease(long ttlSeconds) {
        if (ttlSeconds <= 0) {
            throw new IllegalArgumentException("ttlSeconds: " + ttlSeconds + " (expected: > 0)");
        }
        final ObjectNode body = GatewayJson.object();
        GatewayJson.putInt64(body, "TTL", ttlSeconds);
        return calls.call("/v3/lease/grant", body, answer -> {
            final long id = GatewayJson.int64(answer, "ID");
            if (id == 0) {
                throw new IllegalArgumentException("no lease ID in the answer");
            }
            return id;
        });
    }

    /**
     * Renews the lease once; the future holds its TTL in seconds from now, 0 when it had already expired (or
     * never existed). One POST per keep-alive: the gateway ends its keep-alive stream after one answer.
     */
    public CompletableFuture<Long> keepAlive(long leaseId) {
        final ObjectNode body = GatewayJson.object();
        GatewayJson.putInt64(body, "ID", leaseId);
        return calls.call("/v3/lease/keepalive", body, answer -> GatewayJson.int64(answer.path("result"), "TTL"));
    }

    /** Revokes the lease, deleting its keys; succeeds too when the lease is already gone. */
    public CompletableFuture<Void> revoke(long leaseId) {
        final ObjectNode body = GatewayJson.object();
        GatewayJson.putInt64(body, "ID", leaseId);
        final CompletableFuture<Void> revoked = new CompletableFuture<>();
        calls.call("/v3/lease/revoke", body, answer -> (Void) null).whenComplete((ok, error) -> {
            final Throwable cause = error == null ? null : unwrap(error);
            if (cause == null || cause instanceof EtcdException e && e.notFound()) {
                revoked.complete(null);
            } else {
                revoked.completeExceptionally(cause);
            }
        });
        return revoked;
    }

    /**
     * Compacts the history up to {@code revision}: older revisions can no longer be read or watched from. The
     * future holds the store's revision.
     */
    public CompletableFuture<Long> compact(long revision) {
        final ObjectNode body = GatewayJson.object();
        GatewayJson.putInt64(body, "revision", revision);
        return calls.call("/v3/kv/compaction", body, GatewayJson::headerRevision);
    }

    /**
     * Watches {@code key}, or every key in {@code [key, rangeEnd)}, from {@code startRevision}: the listener
     * gets every change from that revision on, in order, across dropped streams and failed members, until the
     * watch is closed or the next revision it needs is compacted away ({@link EtcdWatchListener#onCompacted}).
     * Give the revision after a read of the range ({@code read.revision() + 1}) so nothing between the two is
     * missed; 0 watches from whatever is current when the first stream is made, and a stream lost before the
     * first event or progress notification then resumes from what is current again, so changes in between
     * could be missed.
     *
     * <p>Each watch has its own connection, made now in the background; it starts at the endpoint after the
     * previous watch's, to spread watches over the members.
     */
    public EtcdWatch watch(byte[] key, byte[] rangeEnd, long startRevision, EtcdWatchListener listener) {
        requireNonNull(key, "key");
        requireNonNull(listener, "listener");
        if (startRevision < 0) {
            throw new IllegalArgumentException("startRevision: " + startRevision + " (expected: >= 0)");
        }
        if (closed) {
            throw new IllegalStateException("the etcd client is closed");
        }
        final int first;
        synchronized (watches) {
            first = watchesMade++;
        }
        final ResumingWatch watch = new ResumingWatch(loop, connector, settings, key, rangeEnd, startRevision,
                listener, first, watches::remove);
        watches.add(watch);
        watch.start();
        return watch;
    }

    /**
     * The {@code rangeEnd} that covers every key starting with {@code prefix}: the prefix with its last byte
     * below 0xff incremented and what follows dropped; {@code {0}} (every key from {@code prefix} on) when all
     * its bytes are 0xff or it is empty.
     */
    public static byte[] prefixEnd(byte[] prefix) {
        requireNonNull(prefix, "prefix");
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xff) {
                final byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return new byte[] {0};
    }

    /**
     * Closes every watch and the connection, fails the calls still unanswered (UNAVAILABLE), and stops the
     * event loop; waits for it up to a few seconds unless called on it.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ResumingWatch watch : List.copyOf(watches)) {
            watch.close();
        }
        if (!loop.isShuttingDown()) {
            loop.execute(calls::close);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        group.terminationFuture().addListener(f -> connector.close());
        if (!loop.inEventLoop()) {
            group.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
