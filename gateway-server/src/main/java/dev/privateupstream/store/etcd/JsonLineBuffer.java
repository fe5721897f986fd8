package dev.privateupstream.store.etcd;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts a stream of chunks into lines: the gateway writes one JSON object per line on a watch stream, and a
 * line may span chunks as well as share one with others. The bytes of an unfinished line are kept, copied,
 * until its newline arrives.
 */
final class JsonLineBuffer {
    private static final int SHRINK_ABOVE = 1024 * 1024;

    private final int maxLineBytes;
    private byte[] pending = new byte[256];
    private int length;

    JsonLineBuffer(int maxLineBytes) {
        this.maxLineBytes = maxLineBytes;
    }

    /**
     * Reads all of {@code chunk} (without releasing it) and returns the lines it completed, without their
     * line ends; blank lines are skipped.
     *
     * @throws IllegalStateException when a line grows past the limit
     */
    List<byte[]> append(ByteBuf chunk) {
        List<byte[]> lines = List.of();
        int from = chunk.readerIndex();
        final int end = chunk.writerIndex();
        while (from < end) {
            final int newline = chunk.indexOf(from, end, (byte) '\n');
            final int stop = newline < 0 ? end : newline;
            keep(chunk, from, stop - from);
            if (newline < 0) {
                break;
            }
            final byte[] line = take();
            if (line.length > 0) {
                if (lines.isEmpty()) {
                    lines = new ArrayList<>(2);
                }
                lines.add(line);
            }
            from = newline + 1;
        }
        chunk.readerIndex(end);
        return lines;
    }

    /** What is left after the last newline, at the end of the stream: a last line or nothing (empty). */
    byte[] rest() {
        return take();
    }

    private void keep(ByteBuf chunk, int from, int count) {
        if (count == 0) {
            return;
        }
        if (length + count > maxLineBytes) {
            throw new IllegalStateException("a watch answer longer than " + maxLineBytes + " bytes");
        }
        if (length + count > pending.length) {
            pending = Arrays.copyOf(pending, Math.min(maxLineBytes, Math.max(pending.length * 2, length + count)));
        }
        chunk.getBytes(from, pending, length, count);
        length += count;
    }

    private byte[] take() {
        int end = length;
        while (end > 0 && (pending[end - 1] == '\r' || pending[end - 1] == ' ')) {
            end--;
        }
        final byte[] line = Arrays.copyOf(pending, end);
        length = 0;
        if (pending.length > SHRINK_ABOVE) {
            pending = new byte[256]; // one huge answer should not pin its size for the watch's life
        }
        return line;
    }
}
