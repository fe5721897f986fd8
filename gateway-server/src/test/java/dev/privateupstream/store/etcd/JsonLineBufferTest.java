package dev.privateupstream.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class JsonLineBufferTest {
    private final JsonLineBuffer buffer = new JsonLineBuffer(64);

    @Test
    void aLineMaySpanChunksAndAChunkMayHoldSeveralLines() {
        assertThat(append("{\"a\":")).isEmpty();
        assertThat(append("1}")).isEmpty();
        assertThat(append("\n{\"b\":2}\n{\"c\"")).containsExactly("{\"a\":1}", "{\"b\":2}");
        assertThat(append(":3}\r\n\n")).containsExactly("{\"c\":3}");
        assertThat(buffer.rest()).isEmpty();
    }

    @Test
    void whatFollowsTheLastNewlineIsTheRest() {
        assertThat(append("{\"a\":1}\n{\"error\":")).containsExactly("{\"a\":1}");
        assertThat(append("{}}")).isEmpty();
        assertThat(new String(buffer.rest(), StandardCharsets.UTF_8)).isEqualTo("{\"error\":{}}");
        assertThat(buffer.rest()).isEmpty();
    }

    @Test
    void aLineLongerThanTheLimitIsRefused() {
        assertThat(append("x".repeat(60))).isEmpty();
        assertThatThrownBy(() -> append("x".repeat(10))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("64 bytes");
    }

    private List<String> append(String text) {
        final ByteBuf chunk = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        try {
            final List<byte[]> lines = buffer.append(chunk);
            assertThat(chunk.isReadable()).isFalse();
            return lines.stream().map(line -> new String(line, StandardCharsets.UTF_8)).collect(Collectors.toList());
        } finally {
            chunk.release();
        }
    }
}
