package dev.privateupstream.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.privateupstream.store.etcd.EtcdException.Kind;
import org.junit.jupiter.api.Test;

/** The error answers seen from etcd 3.4's gateway, sorted into kinds. */
class EtcdExceptionTest {
    @Test
    void unavailableCoversEverythingThatMeansNoDecisionInTime() {
        assertThat(EtcdException.kind(503, 14, "etcdserver: request timed out")).isEqualTo(Kind.UNAVAILABLE);
        assertThat(EtcdException.kind(500, 2, "context deadline exceeded")).isEqualTo(Kind.UNAVAILABLE);
        assertThat(EtcdException.kind(500, 2, "etcdserver: request timed out, possibly due to previous leader "
                                              + "failure")).isEqualTo(Kind.UNAVAILABLE);
        assertThat(EtcdException.kind(503, -1, "")).isEqualTo(Kind.UNAVAILABLE);
        assertThat(EtcdException.kind(200, 14, "etcdserver: no leader")).isEqualTo(Kind.UNAVAILABLE);
        assertThat(EtcdException.kind(500, 2, "etcdserver: leader changed")).isEqualTo(Kind.UNAVAILABLE);
    }

    @Test
    void onlyACompactedRevisionIsCompacted() {
        assertThat(EtcdException.kind(400, 11, "etcdserver: mvcc: required revision has been compacted"))
                .isEqualTo(Kind.COMPACTED);
        assertThat(EtcdException.kind(400, 11, "etcdserver: mvcc: required revision is a future revision"))
                .isEqualTo(Kind.REJECTED);
    }

    @Test
    void theRestIsRejected() throws Exception {
        assertThat(EtcdException.kind(400, 3, "illegal base64 data at input byte 0")).isEqualTo(Kind.REJECTED);
        assertThat(EtcdException.kind(404, -1, "Not Found")).isEqualTo(Kind.REJECTED);
        final EtcdException stale = EtcdException.fromAnswer("POST /v3/kv/put to http://127.0.0.1:1", 401,
                json("{\"error\":\"etcdserver: invalid auth token\",\"message\":\"etcdserver: invalid auth token\","
                     + "\"code\":16}"), null);
        assertThat(stale.kind()).isEqualTo(Kind.REJECTED);
        assertThat(stale.staleToken()).isTrue();
        assertThat(stale).hasMessage("POST /v3/kv/put to http://127.0.0.1:1 failed: HTTP 401, gRPC code 16: "
                                     + "etcdserver: invalid auth token");
    }

    @Test
    void streamErrorsAreReadToo() throws Exception {
        final EtcdException noLeader = EtcdException.fromAnswer("watch at x", 200, json("{\"error\":{\"grpc_code\":14,"
                + "\"http_code\":503,\"message\":\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}"), null);
        assertThat(noLeader.kind()).isEqualTo(Kind.UNAVAILABLE);
        assertThat(noLeader.grpcCode()).isEqualTo(14);
        assertThat(noLeader).hasMessageContaining("etcdserver: no leader");
    }

    private static JsonNode json(String text) throws Exception {
        return GatewayJson.MAPPER.readTree(text);
    }
}
