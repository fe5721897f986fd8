package dev.privateupstream.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeSyntaxTest {
    @ParameterizedTest
    @CsvSource({"16384, 16384", "0, 0", "16KiB, 16384", "16 kib, 16384", "1MiB, 1048576", "2GiB, 2147483648",
            "7B, 7", "' 1 MiB ', 1048576"})
    void parses(String text, long expected) {
        assertThat(ByteSizeSyntax.parse(text, 0, Long.MAX_VALUE)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"16k", "1m", "1MB", "1KB", "1.5MiB", "-1", "MiB", "", "1  KiB", "1TiB"})
    void refusesOtherUnitsAndForms(String text) {
        assertThatThrownBy(() -> ByteSizeSyntax.parse(text, 0, Long.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("'" + text + "' (expected: a number of bytes");
    }

    @Test
    void enforcesTheRange() {
        assertThatThrownBy(() -> ByteSizeSyntax.parse("2GiB", 1, Integer.MAX_VALUE))
                .hasMessage("'2GiB' (expected: from 1 to 2147483647 bytes)");
        assertThatThrownBy(() -> ByteSizeSyntax.parse("99999999999999999999", 0, Long.MAX_VALUE))
                .hasMessageContaining("expected: from 0 to");
        assertThatThrownBy(() -> ByteSizeSyntax.parse("0", 1, 10)).hasMessage("'0' (expected: from 1 to 10 bytes)");
    }
}
