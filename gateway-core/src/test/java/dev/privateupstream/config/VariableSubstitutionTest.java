package dev.privateupstream.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class VariableSubstitutionTest {
    private final VariableSubstitution substitution = new VariableSubstitution(
            Map.of("HOST", "10.0.0.1", "PORT", "7071", "EMPTY", "", "BRACES", "${HOST}"));

    @Test
    void replacesEveryPlaceholder() {
        assertThat(substitution.apply("http://${HOST}:${PORT}/")).isEqualTo("http://10.0.0.1:7071/");
        assertThat(substitution.apply("plain text")).isEqualTo("plain text");
        assertThat(substitution.apply("${BRACES}")).as("values are not substituted again").isEqualTo("${HOST}");
    }

    @Test
    void takesTheDefaultWhenUnsetOrEmpty() {
        assertThat(substitution.apply("${MISSING:-8080}")).isEqualTo("8080");
        assertThat(substitution.apply("${EMPTY:-fallback}")).isEqualTo("fallback");
        assertThat(substitution.apply("${PORT:-8080}")).isEqualTo("7071");
        assertThat(substitution.apply("${MISSING:-}")).isEmpty();
        assertThat(substitution.apply("${MISSING:-a:-b $x}")).isEqualTo("a:-b $x");
        assertThat(substitution.apply("${EMPTY}")).isEmpty();
    }

    @Test
    void keepsDollarsThatAreNoPlaceholder() {
        assertThat(substitution.apply("$5 and $HOST and $")).isEqualTo("$5 and $HOST and $");
        assertThat(substitution.apply("$${HOST} costs $$5")).isEqualTo("${HOST} costs $$5");
    }

    @Test
    void namesEveryUnsetVariable() {
        assertThatThrownBy(() -> substitution.apply("${A}"))
                .hasMessage("environment variable A is not set (expected: set it, or give a default: ${A:-value})");
        assertThatThrownBy(() -> substitution.apply("${A}/${HOST}/${B_2}"))
                .hasMessageStartingWith("environment variables A, B_2 are not set");
    }

    @Test
    void refusesMalformedPlaceholders() {
        assertThatThrownBy(() -> substitution.apply("x${HOST")).hasMessageContaining("unterminated ${");
        assertThatThrownBy(() -> substitution.apply("${}")).hasMessageContaining("'${}' is not a valid placeholder");
        assertThatThrownBy(() -> substitution.apply("${1X}")).hasMessageContaining("is not a valid placeholder");
        assertThatThrownBy(() -> substitution.apply("${A-B}")).hasMessageContaining("is not a valid placeholder");
    }
}
