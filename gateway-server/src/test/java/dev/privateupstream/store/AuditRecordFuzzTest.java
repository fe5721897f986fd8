package dev.privateupstream.store;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.privateupstream.endpoint.EndpointStatus;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Coverage-guided fuzzing (Jazzer) of the audit record as the etcd store keeps it under
 * {@code PREFIX + "audit/"} (SPEC §12), read back by {@code GET /api/audit} from bytes any writer of the store
 * may have put there.
 *
 * <ul>
 *   <li>Whatever the bytes, {@link AuditRecord#parse} returns or throws {@link IllegalArgumentException},
 *       nothing else (the store skips such a record with a warning instead of failing the whole history).</li>
 *   <li>What parses reads back the same through the writer: {@code parse(toJsonLine(r))} equals {@code r}.</li>
 *   <li>Any record the type admits, written by {@link AuditRecord#toJsonLine}, parses back equal.</li>
 * </ul>
 *
 * <p>Seeds under {@code AuditRecordFuzzTestInputs/}. In the default build only they run; {@code JAZZER_FUZZ=1}
 * fuzzes one method (see the README, "Fuzzing").
 */
class AuditRecordFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void storedRecordParsesOrIsRefused(byte[] bytes) {
        final AuditRecord record;
        try {
            record = AuditRecord.parse(bytes);
        } catch (IllegalArgumentException refused) {
            return;
        }
        final AuditRecord again = AuditRecord.parse(record.toJsonLine().getBytes(StandardCharsets.UTF_8));
        if (!again.equals(record)) {
            throw new AssertionError("read back differently: " + record + " then " + again);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void everyRecordReadsBackEqual(FuzzedDataProvider data) {
        final EndpointStatus[] statuses = EndpointStatus.values();
        final AuditRecord.Action[] actions = AuditRecord.Action.values();
        final AuditRecord record = new AuditRecord(
                Instant.ofEpochSecond(data.consumeLong(-31_557_014_167_219_200L, 31_556_889_864_403_199L),
                        data.consumeInt(0, 999_999_999)),
                data.consumeString(40), data.consumeString(40), actions[data.consumeInt(0, actions.length - 1)],
                data.consumeString(40),
                data.consumeBoolean() ? null : statuses[data.consumeInt(0, statuses.length - 1)],
                data.consumeBoolean() ? null : statuses[data.consumeInt(0, statuses.length - 1)],
                data.consumeBoolean() ? null : data.consumeRemainingAsString());
        final AuditRecord again = AuditRecord.parse(record.toJsonLine().getBytes(StandardCharsets.UTF_8));
        if (!again.equals(record)) {
            throw new AssertionError("read back differently: " + record + " then " + again);
        }
    }
}
