package dev.privateupstream.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * One array that a file is read into again and again. A reload of a large endpoints file then allocates
 * nothing of the file's size: a new array of 30 MB per reload is either copied by the young collection
 * that catches it alive or, too large for the survivors, promoted, and a storm of reloads fills the old
 * generation (benchmarks/README.md). The array grows to the largest file read and shrinks when a file
 * needs less than a quarter of it. Not thread-safe.
 */
final class FileBuffer {
    /** Java's largest array. */
    private static final int MAX_LENGTH = Integer.MAX_VALUE - 8;
    private static final int CHUNK = 64 * 1024;

    private byte[] bytes = new byte[0];
    private int length;

    /**
     * Reads the whole of {@code file}; its bytes are then {@link #bytes()} up to {@link #length()}, until the
     * next read.
     */
    void read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            final long size = channel.size();
            if (size >= MAX_LENGTH) {
                throw new IOException("larger than " + MAX_LENGTH + " bytes");
            }
            // The size is a hint: the file may grow or shrink while it is read; the end of the file decides.
            ensure((int) size + 1);
            ByteBuffer view = ByteBuffer.wrap(bytes);
            int filled = 0;
            while (true) {
                if (filled == bytes.length) {
                    if (filled == MAX_LENGTH) {
                        throw new IOException("larger than " + MAX_LENGTH + " bytes");
                    }
                    bytes = Arrays.copyOf(bytes, (int) Math.min(MAX_LENGTH, 2L * filled));
                    view = ByteBuffer.wrap(bytes);
                }
                // In chunks: the JDK copies a heap buffer's read through a direct buffer of the same size,
                // which it then keeps for the thread.
                view.limit(Math.min(bytes.length, filled + CHUNK)).position(filled);
                final int n = channel.read(view);
                if (n < 0) {
                    break;
                }
                filled += n;
            }
            length = filled;
        }
    }

    byte[] bytes() {
        return bytes;
    }

    int length() {
        return length;
    }

    private void ensure(int needed) {
        if (bytes.length < needed || bytes.length / 4 > needed) {
            bytes = new byte[needed];
        }
    }
}
