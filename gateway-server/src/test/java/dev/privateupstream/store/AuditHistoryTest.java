package dev.privateupstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privateupstream.endpoint.EndpointStatus;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The file store's audit history (SPEC §12): bounded, newest first, names in any letter case. */
class AuditHistoryTest {
    private static AuditRecord record(String endpoint, AuditRecord.Action action, long second) {
        return new AuditRecord(Instant.ofEpochSecond(second), "alice", "gw-0", action, endpoint, null,
                EndpointStatus.PENDING, null);
    }

    @Test
    void answersAnEndpointsRecordsNewestFirstInAnyLetterCase() {
        final AuditHistory history = new AuditHistory(10);
        final AuditRecord create = record("Spe", AuditRecord.Action.CREATE, 1);
        final AuditRecord other = record("other", AuditRecord.Action.CREATE, 2);
        final AuditRecord approve = record("spe", AuditRecord.Action.APPROVE, 3);
        history.add(create);
        history.add(other);
        history.add(approve);

        assertThat(history.of("SPE")).containsExactly(approve, create);
        assertThat(history.of("sp")).isEmpty();
    }

    @Test
    void dropsTheOldestRecordWhenFull() {
        final AuditHistory history = new AuditHistory(2);
        history.add(record("spe", AuditRecord.Action.CREATE, 1));
        history.add(record("spe", AuditRecord.Action.UPDATE, 2));
        history.add(record("spe", AuditRecord.Action.APPROVE, 3));

        assertThat(history.of("spe")).extracting(AuditRecord::action)
                .containsExactly(AuditRecord.Action.APPROVE, AuditRecord.Action.UPDATE);
        assertThatThrownBy(() -> new AuditHistory(0)).hasMessageContaining("capacity: 0 (expected: > 0)");
    }

    @Test
    void aRecordReadsBackFromItsJsonLine() {
        final AuditRecord deleted = new AuditRecord(Instant.parse("2026-12-07T21:25:07.885123Z"), "admin", "gw-1",
                AuditRecord.Action.DELETE, "spe", EndpointStatus.APPROVED, null, "gone \"now\"");

        assertThat(deleted.toJsonLine()).isEqualTo("{\"time\":\"2026-12-07T21:25:07.885123Z\",\"actor\":\"admin\","
                + "\"replica\":\"gw-1\",\"action\":\"delete\",\"endpoint\":\"spe\",\"statusBefore\":\"Approved\","
                + "\"statusAfter\":null,\"description\":\"gone \\\"now\\\"\"}");
        assertThat(AuditRecord.parse(deleted.toJsonLine().getBytes(StandardCharsets.UTF_8))).isEqualTo(deleted);
    }
}
