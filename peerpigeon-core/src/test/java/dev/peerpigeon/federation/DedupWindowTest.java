package dev.peerpigeon.federation;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DedupWindowTest {
    @Test
    void anIdIsSeenOnceUntilItAgesOutAfterTwoRotations() {
        DedupWindow w = new DedupWindow(100);
        assertThat(w.firstTime("m1")).isTrue();
        assertThat(w.firstTime("m1")).isFalse();
        w.rotate();
        assertThat(w.firstTime("m1")).isFalse(); // still in the previous generation
        w.rotate();
        assertThat(w.firstTime("m1")).isTrue();
    }

    @Test
    void aFullGenerationRotatesEarlySoMemoryStaysBounded() {
        DedupWindow w = new DedupWindow(3);
        for (int i = 0; i < 4; i++) {
            assertThat(w.firstTime("a" + i)).isTrue(); // the 4th overflows: rotated, a0..a3 now "previous"
        }
        assertThat(w.firstTime("a0")).isFalse();
        for (int i = 0; i < 4; i++) {
            w.firstTime("b" + i); // second overflow: a* dropped
        }
        assertThat(w.firstTime("a0")).isTrue();
    }
}
