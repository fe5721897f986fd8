package dev.privateupstream.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationSyntaxTest {
    @ParameterizedTest
    @CsvSource({
            "500ms, PT0.5S", "10s, PT10S", "1.5s, PT1.5S", "2m, PT2M", "1h, PT1H", "1m30s, PT1M30S",
            "0, PT0S", "0s, PT0S", "' 10s ', PT10S", "0.0005ms, PT0.0000005S", "1h1m1s1ms, PT1H1M1.001S"})
    void parses(String text, Duration expected) {
        assertThat(DurationSyntax.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10", "1d", "s", "10 s", "-1s", "1.s", ".5s", "10S", "1m 30s", "1e3s",
            "999999999999h"})
    void refuses(String text) {
        assertThatThrownBy(() -> DurationSyntax.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("'" + text + "' (expected: ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0s", "0.0h"})
    void positiveRefusesZero(String text) {
        assertThatThrownBy(() -> DurationSyntax.parsePositive(text)).hasMessageContaining("above zero");
    }
}
