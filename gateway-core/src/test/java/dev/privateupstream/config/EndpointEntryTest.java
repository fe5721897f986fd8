package dev.privateupstream.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EndpointEntryTest {
    @Test
    void anItemsKeyPathIsToldWithoutMakingOne() {
        for (int index : new int[] {0, 7, 10, 99, 12345, Integer.MAX_VALUE}) {
            assertThat(EndpointEntry.isItem("[" + index + "]", index)).as("%d", index).isTrue();
            assertThat(EndpointEntry.isItem("[" + index + "]", index + 1)).as("%d", index).isFalse();
        }
        for (String other : new String[] {"[]", "[07]", "7", "[7", "7]", "(7)", "[x7]", "[17]", "[7].name", ""}) {
            assertThat(EndpointEntry.isItem(other, 7)).as(other).isFalse();
        }
    }
}
